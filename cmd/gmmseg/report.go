package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gmmsimd/gmmsimd/gmm"
)

// report prints what gmmseg does: the text report as the fit goes, or one JSON document at
// the end.
type report struct {
	c  *plan
	in *input
	w  io.Writer
	// live, when set (stderr is a terminal), gets one line per iteration, each
	// overwriting the last; start is when the run began.
	live   io.Writer
	start  time.Time
	prevLL float64
	drawn  bool
	bic    []jsonCandidate // --components=auto's table
	// kept holds what the document, the table's report and the figures need of the
	// iterations (nil for nothing).
	kept *kept
}

func newReport(c *plan, in *input, w io.Writer) *report {
	return &report{c: c, in: in, w: w, kept: newKept(c)}
}

// floats formats numbers with full precision, as the reference printed Python floats.
func floats(v []float64) string {
	s := make([]string, len(v))
	for i, f := range v {
		s[i] = strconv.FormatFloat(f, 'g', -1, 64)
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// step takes one step of the fit: a run's start (Iter -1) or an iteration, kept for the
// outputs, and printed on the live line and as the text report's block.
func (r *report) step(s gmm.Step) {
	r.choosing(s)
	if s.Iter < 0 {
		r.begin(s)
		return
	}
	r.block(s)
}

// choosing takes a step of one of --components=auto's fits: kept, and shown on the live
// line and to the run's watcher alone (the report prints the chosen fit after the table).
func (r *report) choosing(s gmm.Step) {
	r.kept.add(s)
	r.liveStep(s)
	if r.c.watch != nil {
		r.c.watch.step(s)
	}
}

// liveStep shows an iteration on the live line, when there is one.
func (r *report) liveStep(s gmm.Step) {
	if s.Iter < 0 {
		r.prevLL = s.LogLikelihood
		return
	}
	if r.live != nil {
		change := strconv.FormatFloat(s.LogLikelihood-r.prevLL, 'e', 3, 64)
		r.prevLL, r.drawn = s.LogLikelihood, true
		run := ""
		if r.c.nInit > 1 {
			run = fmt.Sprintf("start %d/%d  ", s.Run+1, r.c.nInit)
		}
		fmt.Fprintf(r.live, "\r\033[K%s%siteration %d/%d  log-likelihood %.12g  change %s  %.2f s",
			r.candidate(s), run, s.Iter+1, r.c.iterations, s.LogLikelihood, change, time.Since(r.start).Seconds())
	}
}

// candidate names the number of components on the live line of --components=auto.
func (r *report) candidate(s gmm.Step) string {
	if !r.c.choose {
		return ""
	}
	return fmt.Sprintf("K=%d  ", s.Model.K())
}

// block prints an iteration's block of the text report.
func (r *report) block(s gmm.Step) {
	if r.c.json {
		return
	}
	fmt.Fprintf(r.w, "ITERATION %d\n%sweights %s\nlog likelihood %s\n",
		s.Iter, modelText("", &s.Model), floats(s.Model.Weights), strconv.FormatFloat(s.LogLikelihood, 'g', -1, 64))
}

// begin prints a run's starting model (text mode), as the reference did.
func (r *report) begin(s gmm.Step) {
	if r.c.json {
		return
	}
	if r.c.nInit > 1 {
		fmt.Fprintf(r.w, "START %d of %d\n", s.Run+1, r.c.nInit)
	}
	m := &s.Model
	fmt.Fprintf(r.w, "Initializing the mixture from %s.\n%sinit_weights= %s\n",
		r.c.startText, modelText("init_", m), floats(m.Weights))
}

// selection prints the BIC table of --components=auto (text mode) and the chosen fit as
// the report of a single fit would have shown it, and keeps the table for the JSON
// document.
func (r *report) selection(sel *gmm.Selection) {
	for _, cand := range sel.Candidates {
		r.bic = append(r.bic, jsonCandidate{cand.K, number(cand.Result.LogLikelihood), number(cand.BIC)})
	}
	if r.c.json {
		return
	}
	fmt.Fprintf(r.w, "Choosing the number of components by BIC, from %d to %d:\n", r.c.kLo, r.c.kHi)
	tw := tabwriter.NewWriter(r.w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "components\tlog likelihood\tBIC\t")
	for i, cand := range sel.Candidates {
		mark := ""
		if i == sel.Best {
			mark = "  <- lowest"
		}
		fmt.Fprintf(tw, "%d\t%.6f\t%.6f\t%s\n", cand.K, cand.Result.LogLikelihood, cand.BIC, mark)
	}
	tw.Flush()
	res := sel.Candidates[sel.Best].Result
	r.begin(gmm.Step{Run: res.Run, Iter: -1, Model: res.Initial})
	for _, s := range r.kept.steps(res) {
		r.block(s)
	}
}

// saved prints the mixture of --model (text mode).
func (r *report) saved(m *gmm.Model) {
	if r.c.json {
		return
	}
	fmt.Fprintf(r.w, "Segmenting with the mixture in %s.\n%sweights %s\n",
		r.c.model, modelText("", m), floats(m.Weights))
}

// endLive ends the live line, if one was drawn.
func (r *report) endLive() {
	if r.drawn {
		fmt.Fprintln(r.live)
	}
}

// timings are the phases' wall times in seconds: decoding (and the samples made from the
// pixels), the fit alone, the segmentation (labels, morphology, PNG), the figures
// (--visualization=1), and all of it.
type timings struct{ decode, fit, segment, figures, total float64 }

// number is a float64 that marshals with full precision in Go's shortest 'g' form.
type number float64

func (n number) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, float64(n), 'g', -1, 64), nil
}

func numbers(v []float64) []number {
	out := make([]number, len(v))
	for i, f := range v {
		out[i] = number(f)
	}
	return out
}

// jsonModel is a mixture in the JSON document: for one channel, the reference's means,
// stdevs and weights; for a colour space, the means as K rows and the covariances in
// their type's shape (scikit-learn's).
type jsonModel struct {
	Means       any      `json:"means"`
	Stdevs      []number `json:"stdevs,omitempty"`
	Covariance  string   `json:"covariance,omitempty"`
	Covariances any      `json:"covariances,omitempty"`
	Weights     []number `json:"weights"`
}

func modelJSON(m *gmm.Model) jsonModel {
	if m.Dims <= 1 {
		return jsonModel{Means: numbers(m.Means), Stdevs: numbers(m.Stdevs()), Weights: numbers(m.Weights)}
	}
	k, d := m.K(), m.Dims
	j := jsonModel{Means: rows(m.Means, d), Covariance: m.Covariance.String(), Weights: numbers(m.Weights)}
	switch m.Covariance {
	case gmm.Full:
		mats := make([][][]number, k)
		for c := range mats {
			mats[c] = rows(m.Covariances[c*d*d:(c+1)*d*d], d)
		}
		j.Covariances = mats
	case gmm.Diag:
		j.Covariances = rows(m.Covariances, d)
	case gmm.Tied:
		j.Covariances = rows(m.Covariances, d)
	default:
		j.Covariances = numbers(m.Covariances)
	}
	return j
}

// rows splits v into rows of d numbers.
func rows(v []float64, d int) [][]number {
	out := make([][]number, len(v)/d)
	for i := range out {
		out[i] = numbers(v[i*d : (i+1)*d])
	}
	return out
}

// modelText is the lines of the text report that give m's means and spreads, their
// names after prefix: for one channel the reference's means and stdevs, for a colour
// space the means of each component and its covariances.
func modelText(prefix string, m *gmm.Model) string {
	if m.Dims <= 1 {
		sep := " "
		if prefix != "" {
			sep = "= " // the reference's init_means= lines
		}
		return fmt.Sprintf("%smeans%s%s\n%sstdevs%s%s\n", prefix, sep, floats(m.Means), prefix, sep, floats(m.Stdevs()))
	}
	var means []string
	for c := range m.K() {
		means = append(means, floats(m.Means[c*m.Dims:(c+1)*m.Dims]))
	}
	return fmt.Sprintf("%smeans %s\n%scovariances (%v) %s\n", prefix, strings.Join(means, " "), prefix, m.Covariance, floats(m.Covariances))
}

type jsonIteration struct {
	jsonModel
	LogLikelihood number `json:"log_likelihood"`
}

// jsonCandidate is a row of --components=auto's table.
type jsonCandidate struct {
	Components    int    `json:"components"`
	LogLikelihood number `json:"log_likelihood"`
	BIC           number `json:"bic"`
}

// jsonReseed is a gmm.Reseed.
type jsonReseed struct {
	Iteration int `json:"iteration"`
	Component int `json:"component"`
	From      int `json:"from"`
}

type jsonDoc struct {
	Image struct {
		Path       string `json:"path"`
		SecondPath string `json:"second_path,omitempty"`
		Width      int    `json:"width"`
		Height     int    `json:"height"`
	} `json:"image"`
	Channel    string          `json:"channel,omitempty"`
	Decoder    string          `json:"decoder"`
	Kernel     string          `json:"kernel"`
	Threads    int             `json:"threads"`
	Precision  string          `json:"precision"`
	Method     string          `json:"method"`
	Colours    int             `json:"distinct_colours,omitempty"`
	Bits       int             `json:"bits,omitempty"`
	Components int             `json:"components"`
	Selection  []jsonCandidate `json:"selection,omitempty"`
	InitMethod string          `json:"init_method"`
	Seed       *uint64         `json:"seed,omitempty"`
	NInit      int             `json:"n_init,omitempty"`
	Run        *int            `json:"run,omitempty"`
	Init       jsonModel       `json:"init"`
	Iterations []jsonIteration `json:"iterations"`
	Converged  bool            `json:"converged"`
	Reseeded   []jsonReseed    `json:"reseeded,omitempty"`
	ModelFile  string          `json:"model_file,omitempty"`
	SavedModel string          `json:"saved_model,omitempty"`
	Output     string          `json:"output"`
	Labels     string          `json:"labels,omitempty"`
	Figures    []string        `json:"figures,omitempty"`
	Elapsed    struct {
		Decode  number `json:"decode"`
		Fit     number `json:"fit"`
		Segment number `json:"segment"`
		Figures number `json:"figures,omitempty"`
		Total   number `json:"total"`
	} `json:"elapsed_seconds"`
}

// end prints the JSON document, or the text report's last lines: the files written.
func (r *report) end(res *gmm.Result, out string, figures []string, t timings) error {
	if r.c.json {
		return r.document(res, out, figures, t)
	}
	if r.c.nInit > 1 {
		fmt.Fprintf(r.w, "kept start %d of %d (log likelihood %s)\n", res.Run+1, r.c.nInit, strconv.FormatFloat(res.LogLikelihood, 'g', -1, 64))
	}
	for _, e := range res.Reseeded {
		fmt.Fprintf(r.w, "note: component %d had no weight left after iteration %d and was split from component %d\n", e.Component, e.Iter, e.From)
	}
	var written []string
	for _, path := range []string{r.c.saveModel, r.c.labels, out} {
		if path != "" {
			written = append(written, path)
		}
	}
	for _, path := range append(written, figures...) {
		if _, err := fmt.Fprintf(r.w, "wrote %s\n", path); err != nil {
			return err
		}
	}
	return nil
}

// document prints the JSON document of the run that gave res and wrote out and figures.
func (r *report) document(res *gmm.Result, out string, figures []string, t timings) error {
	var d jsonDoc
	d.Image.Path, d.Image.SecondPath = r.in.name, r.c.second
	d.Image.Width, d.Image.Height = r.in.plane.Width, r.in.plane.Height
	if r.c.second == "" {
		d.Channel = r.c.channel.String()
	}
	d.Decoder, d.Kernel, d.Threads = r.in.decoder, string(res.Kernel), res.Threads
	d.Precision, d.Components, d.Selection = r.c.precision, res.Model.K(), r.bic
	d.Method = r.in.method
	if r.c.channel.Dims() > 1 {
		d.Colours = len(r.in.weights) // the colour histogram's
	}
	d.Bits = r.in.bits
	d.InitMethod = r.c.start
	if r.c.model != "" {
		d.ModelFile = r.c.model
	}
	if r.c.seeded {
		d.Seed, d.NInit, d.Run = &r.c.seed, r.c.nInit, &res.Run
	}
	d.Converged, d.SavedModel = res.Converged, r.c.saveModel
	for _, e := range res.Reseeded {
		d.Reseeded = append(d.Reseeded, jsonReseed{e.Iter, e.Component, e.From})
	}
	d.Init = modelJSON(&res.Initial)
	d.Iterations = []jsonIteration{} // [] rather than null when --model skips the fit
	for _, s := range r.kept.steps(res) {
		d.Iterations = append(d.Iterations, jsonIteration{modelJSON(&s.Model), number(s.LogLikelihood)})
	}
	d.Output, d.Labels, d.Figures = out, r.c.labels, figures
	d.Elapsed.Decode, d.Elapsed.Fit, d.Elapsed.Segment, d.Elapsed.Total = number(t.decode), number(t.fit), number(t.segment), number(t.total)
	d.Elapsed.Figures = number(t.figures)
	enc := json.NewEncoder(r.w)
	if !r.c.compact {
		enc.SetIndent("", " ")
	}
	return enc.Encode(&d)
}

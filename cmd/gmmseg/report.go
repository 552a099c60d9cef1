package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gmmsimd/gmmsimd/gmm"
)

// report prints what gmmseg does: the text report as the fit goes, or one JSON document at
// the end.
type report struct {
	c          *config
	in         *input
	w          io.Writer
	initMethod string
	// live, when set (stderr is a terminal), gets one line per iteration, each
	// overwriting the last; start is when the run began.
	live   io.Writer
	start  time.Time
	prevLL float64
	drawn  bool
}

func newReport(c *config, in *input, w io.Writer) *report {
	return &report{c: c, in: in, w: w, initMethod: "evenly spaced components"}
}

// floats formats numbers with full precision, as the reference printed Python floats.
func floats(v []float64) string {
	s := make([]string, len(v))
	for i, f := range v {
		s[i] = strconv.FormatFloat(f, 'g', -1, 64)
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// begin prints the starting model (text mode).
func (r *report) begin(opt gmm.Options) {
	if r.c.json {
		return
	}
	m := gmm.EvenlySpaced(opt.Components)
	if opt.InitModel != nil {
		m = *opt.InitModel
	}
	fmt.Fprintf(r.w, "Initializing the mixture from %s.\ninit_means= %s\ninit_stdevs= %s\ninit_weights= %s\n",
		r.initMethod, floats(m.Means), floats(m.Stdevs), floats(m.Weights))
}

// step prints one iteration: the live line, and the text report's block.
func (r *report) step(s gmm.Step) {
	if r.live != nil {
		change := "-"
		if s.Iter > 0 {
			change = strconv.FormatFloat(s.LogLikelihood-r.prevLL, 'e', 3, 64)
		}
		r.prevLL, r.drawn = s.LogLikelihood, true
		fmt.Fprintf(r.live, "\r\033[Kiteration %d/%d  log-likelihood %.12g  change %s  %.2f s",
			s.Iter+1, r.c.iterations, s.LogLikelihood, change, time.Since(r.start).Seconds())
	}
	if r.c.json {
		return
	}
	fmt.Fprintf(r.w, "ITERATION %d\nmeans %s\nstdevs %s\nweights %s\nlog likelihood %s\n",
		s.Iter, floats(s.Model.Means), floats(s.Model.Stdevs), floats(s.Model.Weights),
		strconv.FormatFloat(s.LogLikelihood, 'g', -1, 64))
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

type jsonModel struct {
	Means   []number `json:"means"`
	Stdevs  []number `json:"stdevs"`
	Weights []number `json:"weights"`
}

func modelJSON(m *gmm.Model) jsonModel {
	return jsonModel{numbers(m.Means), numbers(m.Stdevs), numbers(m.Weights)}
}

type jsonIteration struct {
	jsonModel
	LogLikelihood number `json:"log_likelihood"`
}

type jsonDoc struct {
	Image struct {
		Path       string `json:"path"`
		SecondPath string `json:"second_path,omitempty"`
		Width      int    `json:"width"`
		Height     int    `json:"height"`
	} `json:"image"`
	Channel    string          `json:"channel,omitempty"`
	Kernel     string          `json:"kernel"`
	Threads    int             `json:"threads"`
	Precision  string          `json:"precision"`
	Components int             `json:"components"`
	Init       jsonModel       `json:"init"`
	Iterations []jsonIteration `json:"iterations"`
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
	if !r.c.json {
		written := append([]string{out}, figures...)
		if r.c.labels != "" {
			written = append([]string{r.c.labels}, written...)
		}
		for _, path := range written {
			if _, err := fmt.Fprintf(r.w, "wrote %s\n", path); err != nil {
				return err
			}
		}
		return nil
	}
	var d jsonDoc
	d.Image.Path, d.Image.SecondPath = r.in.name, r.c.second
	d.Image.Width, d.Image.Height = r.in.plane.Width, r.in.plane.Height
	if r.c.second == "" {
		d.Channel = r.c.channel.String()
	}
	d.Kernel, d.Threads = res.Kernel, res.Threads
	d.Precision, d.Components = r.c.precision, r.c.components
	d.Init = modelJSON(&res.Initial)
	for _, s := range res.History {
		d.Iterations = append(d.Iterations, jsonIteration{modelJSON(&s.Model), number(s.LogLikelihood)})
	}
	d.Output, d.Labels, d.Figures = out, r.c.labels, figures
	d.Elapsed.Decode, d.Elapsed.Fit, d.Elapsed.Segment, d.Elapsed.Total = number(t.decode), number(t.fit), number(t.segment), number(t.total)
	d.Elapsed.Figures = number(t.figures)
	enc := json.NewEncoder(r.w)
	enc.SetIndent("", " ")
	return enc.Encode(&d)
}

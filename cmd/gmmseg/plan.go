package main

import "github.com/gmmsimd/gmmsimd/gmm"

// plan is what a run does, derived once from the config it carries (which it does not
// change): on which data the mixture is fitted, with how many components, from which
// start. Every image of a batch follows the same plan.
type plan struct {
	*config
	// histogram: the fit runs on the counts of the image's levels or 8-bit colours
	// (--method), not on every pixel.
	histogram bool
	// choose: fit every number of components from kLo to kHi and keep the lowest BIC
	// (--components=auto); otherwise kLo == kHi is the one number fitted, or 0 with
	// --model when --components is not given: the saved mixture's.
	choose   bool
	kLo, kHi int
	// start names the starting mixture as the JSON document does (init_method), and
	// startText as the text report says it; seeded: it draws on --seed.
	start, startText string
	seeded           bool
	// saved and startModel are the mixtures of --model and --init-model (nil without them),
	// read once for every image (loadModels).
	saved, startModel *gmm.Model
	// keptBytes is what the outputs keep of a fit's iterations, at most (checkKept).
	keptBytes int64
	// store, when set, keeps the outputs rather than writing files (the page's run).
	store *memoryFiles
	// watch, when set, follows the run as it goes (the page's live view).
	watch watcher
}

// watcher follows a run as it goes: it is given the input's preview once the image is
// read, then every step of the fit (of every run, and every candidate of
// --components=auto), on the fit's goroutine, which it must not hold up.
type watcher interface {
	loaded(pv *preview)
	step(s gmm.Step)
}

// initTexts describe the starts in the text report.
var initTexts = map[gmm.Init]string{
	gmm.InitEvenlySpaced:   "evenly spaced components",
	gmm.InitQuantiles:      "the quantiles of the data",
	gmm.InitKMeansPP:       "k-means++ seeding",
	gmm.InitRandomFromData: "pixels drawn at random",
	gmm.InitKMeans:         "k-means (k-means++ seeding, then Lloyd's iterations)",
}

// newPlan derives the plan of the command line c.
func newPlan(c *config) *plan {
	p := &plan{
		config:    c,
		histogram: c.method == "histogram" || (c.method == "auto" && c.second == ""),
		kLo:       c.components,
		kHi:       c.components,
	}
	if c.autoK {
		p.choose, p.kLo, p.kHi = true, c.kRange[0], c.kRange[1]
	}
	switch {
	case c.model != "":
		p.start, p.startText = "model-file", "the mixture in "+c.model
	case c.initModel != "":
		p.start, p.startText = "init-model", "the mixture in "+c.initModel
	case c.hasThreshold:
		p.start, p.startText = "thresholded-subtraction", "thresholded subtraction"
	default:
		p.start, p.startText, p.seeded = c.init.String(), initTexts[c.init], c.init.Random()
	}
	return p
}

// forImage returns the plan of one image of a batch: this plan with the image's own
// input and output, threads, and the quiet one-line report of a batch.
func (p *plan) forImage(file, out string, threads int) *plan {
	c := *p.config
	c.first, c.out, c.threads = file, out, threads
	c.quiet, c.compact = true, true
	q := *p
	q.config = &c
	return &q
}

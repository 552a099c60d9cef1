package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gmmsimd/gmmsimd/internal/race"
)

// The browser tests' environment: EnvBrowser names the browser to run (by default the
// first of browsers found on $PATH); EnvRequireBrowser, set to 1, makes a browser that is
// missing or does not start a failure rather than a skip (CI sets it); EnvScreenshot
// names the file where the page's screenshot goes (make screenshot: docs/serve.png).
const (
	envBrowser        = "GMMSIMD_BROWSER"
	envRequireBrowser = "GMMSIMD_REQUIRE_BROWSER"
	envScreenshot     = "GMMSIMD_SCREENSHOT"
)

// browsers are the names a Chromium is installed under: Debian's first.
var browsers = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// windowSize is the browser window's width and height: the screenshot's, but for the
// window's own bars.
var windowSize = [2]int{1400, 1400}

// noBrowser skips the test, or fails it when a browser is required.
func noBrowser(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv(envRequireBrowser) == "1" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format+" (%s=1 makes this a failure)", append(args, envRequireBrowser)...)
}

// browser starts a headless Chromium for the test, with a fresh profile and nothing that
// reaches the network (without a network, Chromium otherwise waits on its connections),
// and returns its context; the browser ends with the test.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := os.Getenv(envBrowser)
	for _, name := range browsers {
		if path != "" {
			break
		}
		path, _ = exec.LookPath(name)
	}
	if path == "" {
		noBrowser(t, "no browser: none of %v is on $PATH, and %s is not set (Debian: apt-get install chromium)", browsers, envBrowser)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(windowSize[0], windowSize[1]))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The first Run starts the browser and binds its life to the context it is given, so
	// that context takes no timeout: a browser that has not answered in a minute is ended.
	watchdog := time.AfterFunc(time.Minute, cancel)
	_, err := chromedp.Run(ctx, chromedp.Evaluate[int]("1"))
	watchdog.Stop()
	if err != nil {
		noBrowser(t, "the browser %s does not start: %v", path, err)
	}
	return ctx
}

// do runs the browser's actions within d, failing the test with what on an error.
func do(t *testing.T, ctx context.Context, d time.Duration, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// evaluate returns the value of the JavaScript expression in the page (awaited, if a
// promise).
func evaluate[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// shownPixels is the JavaScript that draws the image of the element id, as the page
// shows it, into a canvas at its own size, and gives the canvas as a PNG data: URL.
const shownPixels = `(async (id) => {
  const img = document.getElementById(id);
  await img.decode();
  const c = document.createElement('canvas');
  c.width = img.naturalWidth;
  c.height = img.naturalHeight;
  c.getContext('2d').drawImage(img, 0, 0);
  return c.toDataURL('image/png');
})`

// decodeDataURL decodes a PNG data: URL.
func decodeDataURL(t *testing.T, u string) image.Image {
	t.Helper()
	data, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(u, "data:image/png;base64,"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// samePixels fails the test unless got, as the browser shows it, has want's gray levels.
func samePixels(t *testing.T, got, want image.Image) {
	t.Helper()
	if got.Bounds() != want.Bounds() {
		t.Fatalf("the page shows a %v image, want %v", got.Bounds(), want.Bounds())
	}
	b := want.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			w := color.GrayModel.Convert(want.At(x, y)).(color.Gray).Y
			r, g, bl, a := got.At(x, y).RGBA()
			if r>>8 != uint32(w) || g>>8 != uint32(w) || bl>>8 != uint32(w) || a != 0xffff {
				t.Fatalf("pixel (%d,%d): the page shows %d %d %d %d, want %d", x, y, r>>8, g>>8, bl>>8, a>>8, w)
			}
		}
	}
}

// The page in a real browser. camera.png uploaded and fitted with K = 3 shows the final
// log-likelihood that gmmseg --json prints for the same settings, a segmentation of
// gmmseg's pixels beside the input's, split where the slider is; a truncated file dropped
// on the page gets the server's error; a bundled example fitted with K chosen by BIC
// shows the BIC curve with gmmseg's choice marked; and Cancel stops the fit of a
// 20-megapixel image under way. The screenshot, of the K = 3 fit, goes to
// $GMMSIMD_SCREENSHOT (make screenshot).
func TestPageInABrowser(t *testing.T) {
	if race.Enabled {
		// The 20-megapixel image's encoding, decoding and samples take minutes under the
		// race detector; the server's goroutines are raced by the httptest tests.
		t.Skip("not under the race detector: the 20-megapixel fit takes minutes there")
	}
	ctx := browser(t)
	ts := startServer(t, nil)
	dir := t.TempDir()
	camera := filepath.Join(dir, "camera.png")
	if err := os.WriteFile(camera, exampleImage, 0o644); err != nil {
		t.Fatal(err)
	}
	r := runCmd(t, "--json", "--first-image="+camera, "--components=3", "--out="+filepath.Join(dir, "seg.png"))
	if r.Code != 0 {
		t.Fatalf("gmmseg: exit %d: %s", r.Code, r.Stderr)
	}
	var doc ourDoc
	if err := json.Unmarshal([]byte(r.Stdout), &doc); err != nil {
		t.Fatal(err)
	}
	want := doc.Iterations[len(doc.Iterations)-1].LogLikelihood

	do(t, ctx, time.Minute, "loading the page, uploading camera.png and running K = 3",
		chromedp.Navigate(ts.url),
		chromedp.WaitVisible(chromedp.CSS("#run")),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('#example option').length > 1`),
		chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{camera}),
		chromedp.SetValue(chromedp.CSS("#components"), "3"),
		chromedp.Click(chromedp.CSS("#run")),
		chromedp.Poll[chromedp.Void](`document.body.dataset.done === 'true'`, chromedp.WithPollingTimeout(50*time.Second)),
	)
	shown := evaluate[string](t, ctx, `document.getElementById('loglik').textContent`)
	if got, err := strconv.ParseFloat(shown, 64); err != nil || got != want {
		t.Errorf("the page shows the log-likelihood %q; gmmseg --json gives %v", shown, want)
	}
	samePixels(t, decodeDataURL(t, evaluate[string](t, ctx, shownPixels+`('segmentation')`)), imageFile(t, filepath.Join(dir, "seg.png")))
	input, err := png.Decode(bytes.NewReader(exampleImage))
	if err != nil {
		t.Fatal(err)
	}
	samePixels(t, decodeDataURL(t, evaluate[string](t, ctx, shownPixels+`('input-image')`)), input)
	if frame := evaluate[string](t, ctx, `document.getElementById('frame').src`); !strings.HasPrefix(frame, "data:image/png;base64,") {
		t.Errorf("no frame of the fit was shown: %.40q", frame)
	}
	if n := evaluate[int](t, ctx, `document.querySelectorAll('#downloads a[download]').length`); n != 7 {
		t.Errorf("%d downloads, want the segmentation, labels, model and 4 figures", n)
	}
	checkSlider(t, ctx)
	screenshot(t, ctx)
	dropTruncated(t, ctx, ts)
	chooseKByBIC(t, ctx, dir)
	cancelBigFit(t, ctx, ts, dir)
}

// checkSlider checks that the input and the segmentation share the comparison, split
// where the slider is: left of it the input is what a click there reaches, right of it
// the segmentation.
func checkSlider(t *testing.T, ctx context.Context) {
	t.Helper()
	// at(slider, x) moves the slider to the percentage slider, as a user's drag does, and
	// names the image under the point x (a fraction of the width) across the middle.
	const at = `((slider, x) => {
  const s = document.getElementById('slider');
  s.value = slider;
  s.dispatchEvent(new Event('input'));
  const seg = document.getElementById('segmentation');
  seg.scrollIntoView();
  const r = seg.getBoundingClientRect();
  return document.elementFromPoint(r.left + x * r.width, r.top + r.height / 2).id;
})`
	for _, c := range []struct {
		slider int
		x      float64
		want   string
	}{{80, 0.6, "input-image"}, {80, 0.9, "segmentation"}, {20, 0.1, "input-image"}, {20, 0.6, "segmentation"}} {
		if got := evaluate[string](t, ctx, fmt.Sprintf("%s(%d, %v)", at, c.slider, c.x)); got != c.want {
			t.Errorf("slider at %d%%: at %v of the width the page shows %q, want %q", c.slider, c.x, got, c.want)
		}
	}
	evaluate[string](t, ctx, at+`(50, 0.5)`)
	evaluate[int](t, ctx, `window.scrollTo(0, 0), 0`)
}

// dropTruncated drops the first third of camera.png on the page, as a user drops a
// file, and runs it: the page shows, as an error, the line the server logs.
func dropTruncated(t *testing.T, ctx context.Context, ts *testServer) {
	t.Helper()
	const drop = `(async () => {
  const data = await (await fetch('/examples/camera.png')).arrayBuffer();
  const dt = new DataTransfer();
  dt.items.add(new File([data.slice(0, data.byteLength / 3)], 'cut.png', { type: 'image/png' }));
  document.getElementById('drop').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  return document.getElementById('chosen').textContent;
})()`
	if chosen := evaluate[string](t, ctx, drop); !strings.HasPrefix(chosen, "cut.png (") {
		t.Fatalf("after the drop the page says %q", chosen)
	}
	do(t, ctx, 30*time.Second, "running a truncated file",
		chromedp.Click(chromedp.CSS("#run")),
		chromedp.Poll[chromedp.Void](`document.getElementById('status').classList.contains('error') && !document.getElementById('run').disabled`, chromedp.WithPollingTimeout(20*time.Second)),
	)
	shown := evaluate[string](t, ctx, `document.getElementById('status').textContent`)
	if shown == "" || !strings.Contains(ts.log.String(), ": cut.png: "+shown+"\n") {
		t.Errorf("the page shows the error %q; the server logged:\n%s", shown, ts.log)
	}
}

// chooseKByBIC picks the bundled coins.png, lets BIC choose K from 2 to 8, and checks
// that the page draws the seven BICs and marks the K that gmmseg --json chooses.
func chooseKByBIC(t *testing.T, ctx context.Context, dir string) {
	t.Helper()
	coins := filepath.Join(dir, "coins.png")
	if err := os.WriteFile(coins, findExample("coins.png").data, 0o644); err != nil {
		t.Fatal(err)
	}
	r := runCmd(t, "--json", "--first-image="+coins, "--components=auto", "--components-range=2-8", "--out="+filepath.Join(dir, "coins-seg.png"))
	if r.Code != 0 {
		t.Fatalf("gmmseg: exit %d: %s", r.Code, r.Stderr)
	}
	var doc struct {
		Components int
		Selection  []struct {
			Components int
			BIC        float64
		}
	}
	if err := json.Unmarshal([]byte(r.Stdout), &doc); err != nil || len(doc.Selection) != 7 {
		t.Fatalf("%v: %s", err, r.Stdout)
	}
	best := 0
	for i, c := range doc.Selection {
		if c.BIC < doc.Selection[best].BIC {
			best = i
		}
	}
	do(t, ctx, time.Minute, "choosing the example coins.png and K by BIC",
		chromedp.Evaluate[chromedp.Void](`(() => {
  const set = (id, prop, v) => { const e = document.getElementById(id); e[prop] = v; e.dispatchEvent(new Event('change')); };
  set('example', 'value', 'coins.png');
  set('auto', 'checked', true);
  document.getElementById('klo').value = 2;
  document.getElementById('khi').value = 8;
})()`),
		chromedp.Click(chromedp.CSS("#run")),
		chromedp.Poll[chromedp.Void](`document.body.dataset.done === 'true'`, chromedp.WithPollingTimeout(50*time.Second)),
	)
	type bicPlot struct {
		Points, Best int    // the points drawn, the index of the one marked best
		Label, K     string // the plot's labels; the components the result gives
		Hidden       bool
	}
	plot := evaluate[bicPlot](t, ctx, `(() => {
  const points = [...document.querySelectorAll('#bic-plot circle')];
  return {
    Points: points.length,
    Best: points.findIndex((p) => p.classList.contains('best')),
    Label: [...document.querySelectorAll('#bic-plot text')].map((e) => e.textContent).join(' '),
    K: document.getElementById('k').textContent,
    Hidden: document.getElementById('bic').hidden,
  };
})()`)
	if plot.Hidden || plot.Points != len(doc.Selection) || plot.Best != best || plot.K != strconv.Itoa(doc.Components) ||
		!strings.Contains(plot.Label, fmt.Sprintf("K = %d", doc.Components)) {
		t.Errorf("the BIC plot: %+v; gmmseg chose K = %d (index %d of %d)", plot, doc.Components, best, len(doc.Selection))
	}
}

// imageFile decodes the image file at path.
func imageFile(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// screenshot captures the page as the browser shows it, checks that it is an image of the
// window, not blank, and saves it to $GMMSIMD_SCREENSHOT, when set.
func screenshot(t *testing.T, ctx context.Context) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("the screenshot: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("the screenshot: %v", err)
	}
	if view := evaluate[[2]int](t, ctx, `[window.innerWidth, window.innerHeight]`); img.Bounds().Size() != image.Pt(view[0], view[1]) {
		t.Errorf("the screenshot is %v, the page's view %v", img.Bounds(), view)
	}
	colours := map[color.RGBA]bool{}
	for y := 0; y < img.Bounds().Dy(); y += 7 {
		for x := 0; x < img.Bounds().Dx(); x += 7 {
			colours[color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)] = true
		}
	}
	if len(colours) < 64 {
		t.Errorf("the screenshot holds %d colours: a blank page?", len(colours))
	}
	if path := os.Getenv(envScreenshot); path != "" {
		if err := os.WriteFile(path, shot, 0o644); err != nil {
			t.Fatalf("the screenshot: %v", err)
		}
	}
}

// bigSide are the sides of a 20-megapixel image, a camera's 5472 x 3648.
var bigSide = [2]int{5472, 3648}

// cancelBigFit uploads camera.png enlarged to 20 megapixels, runs a long fit of K = 3
// over its pixels, and checks that Cancel stops it soon after its first iteration.
func cancelBigFit(t *testing.T, ctx context.Context, ts *testServer, dir string) {
	t.Helper()
	small, err := png.Decode(bytes.NewReader(exampleImage))
	if err != nil {
		t.Fatal(err)
	}
	g := small.(*image.Gray)
	big := image.NewGray(image.Rect(0, 0, bigSide[0], bigSide[1]))
	for y := range bigSide[1] {
		row := big.Pix[y*big.Stride : y*big.Stride+bigSide[0]]
		src := g.Pix[y*512/bigSide[1]*g.Stride:]
		for x := range row {
			row[x] = src[x*512/bigSide[0]]
		}
	}
	path := filepath.Join(dir, "camera-20mp.png")
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, big); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, 2*time.Minute, "running a fit of 20 megapixels and cancelling it",
		chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{path}),
		chromedp.Evaluate[chromedp.Void](`(() => {
  const auto = document.getElementById('auto');
  auto.checked = false;
  auto.dispatchEvent(new Event('change'));
})()`),
		chromedp.SetValue(chromedp.CSS("#components"), "3"),
		chromedp.SetValue(chromedp.CSS("#method"), "pixels"),
		chromedp.SetValue(chromedp.CSS("#iterations"), "100000"),
		chromedp.Click(chromedp.CSS("#run")),
		// The first frame: the fit is under way (Run cleared the last fit's).
		chromedp.Poll[chromedp.Void](`document.getElementById('frame').getAttribute('src') !== null`, chromedp.WithPollingTimeout(100*time.Second)),
		chromedp.Click(chromedp.CSS("#cancel")),
		chromedp.Poll[chromedp.Void](`document.body.dataset.cancelled !== undefined`, chromedp.WithPollingTimeout(15*time.Second)),
	)
	after, err := strconv.ParseFloat(evaluate[string](t, ctx, `document.body.dataset.cancelled`), 64)
	t.Logf("Cancel stopped the fit of %d pixels %v s after it reached the server", bigSide[0]*bigSide[1], after)
	// A tile takes well under a millisecond; the bound leaves room for a busy machine.
	if err != nil || after > 2 {
		t.Errorf("the fit stopped %v s after Cancel (%v)", after, err)
	}
	ts.waitIdle(t, "after Cancel in the browser")
	if !strings.Contains(ts.log.String(), ": camera-20mp.png: cancelled on the page after ") {
		t.Errorf("the server did not log the 20-megapixel fit's cancellation:\n%s", ts.log)
	}
	if status := evaluate[string](t, ctx, `document.getElementById('status').textContent`); !strings.Contains(status, "Cancelled after") {
		t.Errorf("the page says %q", status)
	}
}

package main

import (
	"fmt"
	"os"

	"github.com/gmmsimd/gmmsimd/segment"
	"github.com/gmmsimd/gmmsimd/segment/libjpeg"
)

// envDecoder names the JPEG decoder that --decoder=auto means, as GMMSIMD_KERNEL does the
// kernel: CI runs the tests once with each.
const envDecoder = "GMMSIMD_DECODER"

// decoders are --decoder's values.
var decoders = []string{"auto", "go", "libjpeg"}

// jpegDecoder returns the JPEG decoder that --decoder (or, for auto, $GMMSIMD_DECODER)
// names: libjpeg-turbo, or nil for Go's image/jpeg. auto takes libjpeg-turbo where it
// loads; libjpeg where it does not is an error that says why.
func (c *config) jpegDecoder() (segment.JPEGDecoder, error) {
	name := c.decoder
	if name == "auto" && os.Getenv(envDecoder) != "" {
		name = os.Getenv(envDecoder)
	}
	switch name {
	case "go":
		return nil, nil
	case "auto", "libjpeg":
		d, err := libjpeg.Load()
		if err == nil {
			return d, nil
		}
		if name == "libjpeg" && libjpeg.Loadable {
			return nil, fmt.Errorf("%v; on Debian or Ubuntu: apt-get install libturbojpeg0", err)
		} else if name == "libjpeg" {
			return nil, err
		}
		return nil, nil
	}
	return nil, fmt.Errorf("%s=%s: want auto, go or libjpeg", envDecoder, name)
}

// decoding is how the run reads its images: within --max-pixels, with the JPEG decoder
// chosen, for the channel fitted (a pair's colours for its CIE94 differences).
func (c *plan) decoding() segment.Decoding {
	ch := c.channel
	if c.second != "" {
		ch = segment.RGB
	}
	return segment.Decoding{MaxPixels: c.maxPixels, JPEG: c.jpeg, Channel: ch}
}

// decoderLine is --version's line about the JPEG decoder that c chose, and why not
// libjpeg-turbo if not.
func decoderLine(c *config) string {
	if c.jpeg != nil {
		return "JPEG decoder: libjpeg-turbo (" + libjpeg.Library + ")\n"
	}
	why := "--decoder=go"
	if c.decoder == "auto" && os.Getenv(envDecoder) == "go" {
		why = envDecoder + "=go"
	} else if _, err := libjpeg.Load(); err != nil && c.decoder == "auto" {
		why = err.Error()
	}
	return fmt.Sprintf("JPEG decoder: go (Go's image/jpeg; %s)\n", why)
}

package gmmbeam

import (
	"encoding/binary"
	"fmt"
	"math"
	"reflect"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
)

func init() {
	beam.RegisterCoder(reflect.TypeOf(Shard{}), encodeShard, decodeShard)
}

// encodeShard is Shard's binary form for the runner: its key, then its samples and
// weights as float64s, little-endian, each after its length. Beam's default coder for a
// struct, JSON, writes every number as text: most of a pass's time went to it.
func encodeShard(sh Shard) ([]byte, error) {
	b := make([]byte, 0, 8*(3+len(sh.X)+len(sh.Weights))+len(sh.Key))
	b = binary.LittleEndian.AppendUint64(b, uint64(len(sh.Key)))
	b = append(b, sh.Key...)
	for _, v := range [][]float64{sh.X, sh.Weights} {
		n := uint64(len(v))
		if v == nil {
			n = math.MaxUint64 // nil weights stay nil: no weights, not zero of them
		}
		b = binary.LittleEndian.AppendUint64(b, n)
		for _, f := range v {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
		}
	}
	return b, nil
}

// decodeShard reads encodeShard's form, checking every length against the data first.
func decodeShard(b []byte) (Shard, error) {
	var sh Shard
	next := func() (uint64, bool) {
		if len(b) < 8 {
			return 0, false
		}
		v := binary.LittleEndian.Uint64(b)
		b = b[8:]
		return v, true
	}
	n, ok := next()
	if !ok || n > uint64(len(b)) {
		return sh, fmt.Errorf("gmmbeam: a shard's key is cut short")
	}
	sh.Key, b = string(b[:n]), b[n:]
	for _, dst := range []*[]float64{&sh.X, &sh.Weights} {
		n, ok := next()
		switch {
		case ok && n == math.MaxUint64:
			continue
		case !ok || n > uint64(len(b)/8):
			return sh, fmt.Errorf("gmmbeam: shard %s is cut short", sh.Key)
		}
		v := make([]float64, n)
		for i := range v {
			v[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
		}
		*dst, b = v, b[8*n:]
	}
	if len(b) != 0 {
		return sh, fmt.Errorf("gmmbeam: shard %s has %d bytes left over", sh.Key, len(b))
	}
	return sh, nil
}

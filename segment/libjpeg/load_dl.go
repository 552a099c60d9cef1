//go:build linux && (amd64 || arm64) && !purego && !noasm

package libjpeg

import (
	"errors"
	"runtime"
	"unsafe"

	"github.com/ebitengine/purego"
)

// Loadable reports whether this build loads libjpeg-turbo where the machine has it.
const Loadable = true

// library is libturbojpeg's functions, bound to Go functions by purego: the types are
// C's on LP64 Linux (int is int32, unsigned long is uint64, a handle a pointer).
type library struct {
	initDecompress   func() uintptr
	decompressHeader func(h uintptr, buf *byte, size uint64, w, ht, subsamp, space *int32) int32
	decompress       func(h uintptr, buf *byte, size uint64, dst *byte, w, pitch, ht, format, flags int32) int32
	decompressPlanes func(h uintptr, buf *byte, size uint64, planes *[3]uintptr, w int32, strides *[3]int32, ht, flags int32) int32
	destroy          func(h uintptr) int32
	errorStr         func(h uintptr) string
}

// open loads the library and binds its functions; a missing symbol is an error, not a
// panic.
func open() (*library, error) {
	dl, err := purego.Dlopen(Library, purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		return nil, err
	}
	lib := &library{}
	for _, f := range []struct {
		ptr  any
		name string
	}{
		{&lib.initDecompress, "tjInitDecompress"},
		{&lib.decompressHeader, "tjDecompressHeader3"},
		{&lib.decompress, "tjDecompress2"},
		{&lib.decompressPlanes, "tjDecompressToYUVPlanes"},
		{&lib.destroy, "tjDestroy"},
		{&lib.errorStr, "tjGetErrorStr2"},
	} {
		sym, err := purego.Dlsym(dl, f.name)
		if err != nil {
			purego.Dlclose(dl)
			return nil, err
		}
		purego.RegisterFunc(f.ptr, sym)
	}
	return lib, nil
}

// session is one TurboJPEG decompressor instance.
type session struct {
	lib *library
	h   uintptr
}

func (lib *library) session() (decompressor, error) {
	h := lib.initDecompress()
	if h == 0 {
		return nil, errors.New("libjpeg-turbo could not start a decompressor")
	}
	return &session{lib, h}, nil
}

func (s *session) close() { s.lib.destroy(s.h) }

// result turns a call's return value into an error.
func (s *session) result(ret int32) error {
	if ret == 0 {
		return nil
	}
	return failure(s.lib.errorStr(s.h))
}

func (s *session) header(data []byte) (header, error) {
	var w, h, subsamp, space int32
	ret := s.lib.decompressHeader(s.h, &data[0], uint64(len(data)), &w, &h, &subsamp, &space)
	runtime.KeepAlive(data)
	if ret != 0 {
		return header{}, errors.New(s.lib.errorStr(s.h)) // a warning too: Go's decoder then decides
	}
	return header{int(w), int(h), int(subsamp), int(space)}, nil
}

func (s *session) decode(data, pix []byte, w, h, format int) error {
	size := 1
	if format == pixelRGBX {
		size = 4
	}
	if len(pix) != w*h*size || w > 1<<16 || h > 1<<16 {
		return errors.New("libjpeg: a buffer that does not fit the image") // never: DecodeJPEG sizes them
	}
	ret := s.lib.decompress(s.h, &data[0], uint64(len(data)), &pix[0], int32(w), int32(w*size), int32(h), int32(format), flags)
	runtime.KeepAlive(data)
	runtime.KeepAlive(pix)
	return s.result(ret)
}

func (s *session) decodePlanes(data []byte, planes [3][]byte, strides [3]int, w, h int) error {
	var ptrs [3]uintptr
	var st [3]int32
	for i, p := range planes {
		if len(p) == 0 || strides[i] <= 0 || len(p)%strides[i] != 0 {
			return errors.New("libjpeg: a plane that does not fit the image") // never: decodePlanes sizes them
		}
		ptrs[i], st[i] = uintptr(unsafe.Pointer(&p[0])), int32(strides[i])
	}
	ret := s.lib.decompressPlanes(s.h, &data[0], uint64(len(data)), &ptrs, int32(w), &st, int32(h), flags)
	runtime.KeepAlive(data)
	runtime.KeepAlive(planes)
	return s.result(ret)
}

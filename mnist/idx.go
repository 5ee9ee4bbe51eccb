package mnist

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
)

// The IDX magic numbers: two zero bytes, the element type (0x08 = unsigned byte) and the
// number of dimensions.
const (
	ImagesMagic = 0x00000803
	LabelsMagic = 0x00000801
)

// Limits on what a header may claim, so that a corrupt header is refused before anything
// is allocated for it.
const (
	MaxSide   = 1024       // image height and width: 1..MaxSide
	MaxImages = 10_000_000 // images or labels in one file: 1..MaxImages
	// maxPixels bounds N·H·W: the float32 images of one file stay within 4 GiB. EMNIST
	// ByClass, the largest MNIST-style set, has 0.64·10⁹ pixels.
	maxPixels = 1 << 30
)

// Classes is the number of digit classes; every label is below it.
const Classes = 10

// pixelValue maps a byte to its grey value, float32(b)/255 (the same rounding as
// PyTorch's uint8 tensor .float().div(255)).
var pixelValue = func() (t [256]float32) {
	for i := range t {
		t[i] = float32(i) / 255
	}
	return t
}()

// ReadImages reads an IDX image file (magic 0x00000803, dimensions N, H, W) from r, raw or
// gzip-compressed (detected by the gzip magic 1f 8b). It returns a Dataset with Images,
// N, H and W set and Labels nil. name is the file's name for errors.
//
// Memory grows with the data actually read, never with what the header promises: a
// header that promises more images than the file holds costs at most twice the memory of
// the images that are there.
func ReadImages(r io.Reader, name string) (*Dataset, error) {
	src, err := openIDX(r, name, ImagesMagic)
	if err != nil {
		return nil, err
	}
	n, h, w := src.dims[0], src.dims[1], src.dims[2]
	if n < 1 || n > MaxImages {
		return nil, fmt.Errorf("mnist: %s: header says %d images, want 1..%d", name, n, MaxImages)
	}
	if h < 1 || h > MaxSide || w < 1 || w > MaxSide {
		return nil, fmt.Errorf("mnist: %s: header says images of %d×%d, want sides of 1..%d", name, h, w, MaxSide)
	}
	if int64(n)*int64(h)*int64(w) > maxPixels {
		return nil, fmt.Errorf("mnist: %s: header says %d images of %d×%d, more than %d pixels in all", name, n, h, w, maxPixels)
	}
	want := n * h * w
	pix := make([]float32, 0, src.firstCapacity(want))
	got, err := src.readBody(want, func(chunk []byte) {
		pix = grow(pix, len(chunk), want)
		dst := pix[len(pix) : len(pix)+len(chunk)]
		for i, b := range chunk {
			dst[i] = pixelValue[b]
		}
		pix = pix[:len(pix)+len(chunk)]
	})
	if err == errTruncated {
		return nil, fmt.Errorf("mnist: %s: header promises %d images of %d×%d, the data ends after %s (%d of %d bytes; file truncated)",
			name, n, h, w, count(got/(h*w), "whole image"), got, want)
	}
	if err != nil {
		return nil, err
	}
	return &Dataset{Images: pix, N: n, H: h, W: w}, nil
}

// ReadLabels reads an IDX label file (magic 0x00000801, dimension N) from r, raw or
// gzip-compressed, and checks that every label is below Classes. name is the file's name
// for errors. Like ReadImages, it allocates for the labels read, not for the header's N.
func ReadLabels(r io.Reader, name string) ([]uint8, error) {
	src, err := openIDX(r, name, LabelsMagic)
	if err != nil {
		return nil, err
	}
	n := src.dims[0]
	if n < 1 || n > MaxImages {
		return nil, fmt.Errorf("mnist: %s: header says %d labels, want 1..%d", name, n, MaxImages)
	}
	labels := make([]uint8, 0, src.firstCapacity(n))
	got, err := src.readBody(n, func(chunk []byte) { labels = append(grow(labels, len(chunk), n), chunk...) })
	if err == errTruncated {
		return nil, fmt.Errorf("mnist: %s: header promises %d labels, the data ends after %d (file truncated)", name, n, got)
	}
	if err != nil {
		return nil, err
	}
	for i, l := range labels {
		if l >= Classes {
			return nil, fmt.Errorf("mnist: %s: label %d is %d, want 0..%d", name, i, l, Classes-1)
		}
	}
	return labels, nil
}

// count is "1 thing" or "n things".
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// grow returns s with room for extra more elements, never for more than limit in all. A
// new array doubles the capacity (or takes what is needed, when more), so that filling s
// to n elements copies fewer than 2n of them and holds at most 2n.
func grow[T any](s []T, extra, limit int) []T {
	need := len(s) + extra
	if need <= cap(s) {
		return s
	}
	t := make([]T, len(s), min(limit, max(2*cap(s), need)))
	copy(t, s)
	return t
}

// idxSource is an IDX stream after its header.
type idxSource struct {
	r    io.Reader
	name string
	dims []int
	gzip bool
	// rawBody is the number of bytes after the header of a raw file of known size; −1 for
	// a gzip stream or an unknown size.
	rawBody int64
}

// openIDX starts reading an IDX stream: it gunzips r when it starts with the gzip magic
// (1f 8b; an IDX file starts with 00 00), then reads and checks the magic number and the
// dimensions it announces.
func openIDX(r io.Reader, name string, magic uint32) (*idxSource, error) {
	src := &idxSource{name: name, rawBody: -1}
	size := sizeOf(r)
	br := bufio.NewReaderSize(r, 1<<16)
	src.r = br
	head, err := br.Peek(2)
	if len(head) < 2 {
		if err == io.EOF {
			return nil, fmt.Errorf("mnist: %s: empty or 1-byte file, not an IDX file", name)
		}
		return nil, fmt.Errorf("mnist: %s: %w", name, err)
	}
	if head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("mnist: %s: bad gzip header: %w", name, noEOF(err))
		}
		src.r, src.gzip = zr, true
	}
	var b [4]byte
	if _, err := io.ReadFull(src.r, b[:]); err != nil {
		return nil, fmt.Errorf("mnist: %s: reading the magic number: %w", name, src.explain(noEOF(err)))
	}
	if got := binary.BigEndian.Uint32(b[:]); got != magic {
		return nil, fmt.Errorf("mnist: %s: want magic 0x%08x, got 0x%08x", name, magic, got)
	}
	src.dims = make([]int, magic&0xff)
	for i := range src.dims {
		if _, err := io.ReadFull(src.r, b[:]); err != nil {
			return nil, fmt.Errorf("mnist: %s: reading dimension %d of %d: %w", name, i+1, len(src.dims), src.explain(noEOF(err)))
		}
		src.dims[i] = int(binary.BigEndian.Uint32(b[:]))
	}
	if size >= 0 && !src.gzip {
		src.rawBody = max(0, size-4-4*int64(len(src.dims)))
	}
	return src, nil
}

// firstCapacity is how much to allocate before reading a body of want bytes: all of it
// when a raw file's size shows that it holds that much, else what the file holds, and at
// most 1 MiB when the size is unknown (gzip): the rest grows as the data arrives.
func (s *idxSource) firstCapacity(want int) int {
	if s.rawBody < 0 {
		return min(want, 1<<20)
	}
	return int(min(int64(want), s.rawBody))
}

// errTruncated is readBody's report of a body shorter than announced; the caller says in
// its own terms (images, labels) how much was there.
var errTruncated = errors.New("file truncated")

// maxDrain bounds how much of a gzip stream readBody decompresses past the announced data
// to tell trailing bytes from a corrupt stream (64 MiB: a fraction of a second).
const maxDrain = 64 << 20

// readBody reads exactly want bytes, handing them to use chunk by chunk, then requires
// the end of the stream: missing bytes (errTruncated, with got the bytes read) and
// trailing bytes are errors. Reading to the end is also what makes a gzip reader verify
// its checksum.
func (s *idxSource) readBody(want int, use func(chunk []byte)) (got int, err error) {
	buf := make([]byte, min(want, 1<<16))
	for got < want {
		m, err := io.ReadFull(s.r, buf[:min(len(buf), want-got)])
		use(buf[:m])
		got += m
		switch {
		case err == nil:
		case s.corrupt(err):
			return got, fmt.Errorf("mnist: %s: corrupt gzip stream after %d of %d data bytes: %w", s.name, got, want, err)
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			return got, errTruncated
		default:
			return got, fmt.Errorf("mnist: %s: after %d of %d data bytes: %w", s.name, got, want, err)
		}
	}
	m, err := io.ReadFull(s.r, buf[:1])
	if m > 0 && s.gzip {
		// A corrupt deflate stream often decodes to garbage before a bad block or the
		// checksum says so: decompress on before blaming the file for trailing bytes.
		if _, err = io.CopyN(io.Discard, s.r, maxDrain); err == io.EOF {
			err = nil
		}
	}
	switch {
	case s.corrupt(err):
		return got, fmt.Errorf("mnist: %s: corrupt gzip stream after the %d data bytes: %w", s.name, want, err)
	case m > 0:
		return got, fmt.Errorf("mnist: %s: trailing bytes after the %d data bytes the header announces", s.name, want)
	case err == io.ErrUnexpectedEOF:
		return got, fmt.Errorf("mnist: %s: the gzip stream ends before its trailer (file truncated)", s.name)
	case err != io.EOF:
		return got, fmt.Errorf("mnist: %s: after the data: %w", s.name, err)
	}
	return got, nil
}

// corrupt reports whether err says that the bytes of a gzip stream are wrong: a bad
// deflate block or a checksum that does not match.
func (s *idxSource) corrupt(err error) bool {
	var bad flate.CorruptInputError
	return s.gzip && (errors.As(err, &bad) || errors.Is(err, gzip.ErrChecksum))
}

// explain prefixes an error inside a header with "corrupt gzip stream" when it is one.
func (s *idxSource) explain(err error) error {
	if s.corrupt(err) {
		return fmt.Errorf("corrupt gzip stream: %w", err)
	}
	return err
}

// sizeOf returns the size of the file or buffer behind r, −1 when unknown.
func sizeOf(r io.Reader) int64 {
	switch v := r.(type) {
	case interface{ Size() int64 }: // bytes.Reader, strings.Reader
		return v.Size()
	case interface{ Stat() (fs.FileInfo, error) }: // os.File
		if fi, err := v.Stat(); err == nil && fi.Mode().IsRegular() {
			return fi.Size()
		}
	}
	return -1
}

// noEOF turns a clean EOF inside a header into ErrUnexpectedEOF: a header cut short is a
// truncated file.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

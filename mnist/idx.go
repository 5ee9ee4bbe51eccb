package mnist

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
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
	maxPixels = 1 << 31    // N·H·W: the float32 images must stay below 8 GiB
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
	pix := make([]float32, 0, src.capacity(want))
	err = src.readBody(want, func(chunk []byte) {
		pix = slices.Grow(pix, len(chunk))
		dst := pix[len(pix) : len(pix)+len(chunk)]
		for i, b := range chunk {
			dst[i] = pixelValue[b]
		}
		pix = pix[:len(pix)+len(chunk)]
	})
	if err != nil {
		return nil, err
	}
	return &Dataset{Images: pix, N: n, H: h, W: w}, nil
}

// ReadLabels reads an IDX label file (magic 0x00000801, dimension N) from r, raw or
// gzip-compressed, and checks that every label is below Classes. name is the file's name
// for errors.
func ReadLabels(r io.Reader, name string) ([]uint8, error) {
	src, err := openIDX(r, name, LabelsMagic)
	if err != nil {
		return nil, err
	}
	n := src.dims[0]
	if n < 1 || n > MaxImages {
		return nil, fmt.Errorf("mnist: %s: header says %d labels, want 1..%d", name, n, MaxImages)
	}
	labels := make([]uint8, 0, src.capacity(n))
	if err := src.readBody(n, func(chunk []byte) { labels = append(labels, chunk...) }); err != nil {
		return nil, err
	}
	for i, l := range labels {
		if l >= Classes {
			return nil, fmt.Errorf("mnist: %s: label %d is %d, want 0..%d", name, i, l, Classes-1)
		}
	}
	return labels, nil
}

// idxSource is an IDX stream after its header.
type idxSource struct {
	r    io.Reader
	name string
	dims []int
	// maxBody bounds the number of bytes the stream can still hold, from the size of the
	// underlying file or buffer (deflate expands at most 1032-fold); −1 when unknown.
	maxBody int64
}

// openIDX starts reading an IDX stream: it gunzips r when it starts with the gzip magic
// (1f 8b; an IDX file starts with 00 00), then reads and checks the magic number and the
// dimensions it announces.
func openIDX(r io.Reader, name string, magic uint32) (*idxSource, error) {
	src := &idxSource{name: name, maxBody: sizeOf(r)}
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
		src.r = zr
		if src.maxBody >= 0 {
			src.maxBody *= 1032
		}
	}
	var b [4]byte
	if _, err := io.ReadFull(src.r, b[:]); err != nil {
		return nil, fmt.Errorf("mnist: %s: reading the magic number: %w", name, noEOF(err))
	}
	if got := binary.BigEndian.Uint32(b[:]); got != magic {
		return nil, fmt.Errorf("mnist: %s: want magic 0x%08x, got 0x%08x", name, magic, got)
	}
	src.dims = make([]int, magic&0xff)
	for i := range src.dims {
		if _, err := io.ReadFull(src.r, b[:]); err != nil {
			return nil, fmt.Errorf("mnist: %s: reading dimension %d of %d: %w", name, i+1, len(src.dims), noEOF(err))
		}
		src.dims[i] = int(binary.BigEndian.Uint32(b[:]))
	}
	return src, nil
}

// capacity is how much to allocate up front for a body of want bytes: all of it when the
// stream can hold that much, else what it can hold (or 1 MiB when that is unknown), so
// that a header claiming more than the file holds costs no large allocation.
func (s *idxSource) capacity(want int) int {
	if s.maxBody < 0 {
		return min(want, 1<<20)
	}
	return int(min(int64(want), s.maxBody))
}

// readBody reads exactly want bytes, handing them to use chunk by chunk, then requires
// the end of the stream: missing bytes and trailing bytes are both errors. Reading to the
// end is also what makes a gzip reader verify its checksum.
func (s *idxSource) readBody(want int, use func(chunk []byte)) error {
	buf := make([]byte, min(want, 1<<16))
	for got := 0; got < want; {
		m, err := io.ReadFull(s.r, buf[:min(len(buf), want-got)])
		use(buf[:m])
		got += m
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("mnist: %s: data ends after %d of %d bytes (file truncated)", s.name, got, want)
		} else if err != nil {
			return fmt.Errorf("mnist: %s: after %d of %d data bytes: %w", s.name, got, want, err)
		}
	}
	switch m, err := io.ReadFull(s.r, buf[:1]); {
	case m > 0:
		return fmt.Errorf("mnist: %s: trailing bytes after the %d data bytes the header announces", s.name, want)
	case err == io.ErrUnexpectedEOF:
		return fmt.Errorf("mnist: %s: the gzip stream ends before its trailer (file truncated)", s.name)
	case err != io.EOF:
		return fmt.Errorf("mnist: %s: after the data: %w", s.name, err)
	}
	return nil
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

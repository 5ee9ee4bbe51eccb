package mnist

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
)

// idx encodes an IDX file: magic, the dimensions (big-endian u32) and the body.
func idx(magic uint32, dims []int, body []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, magic)
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, uint32(d))
	}
	return append(b, body...)
}

// gz compresses b with gzip (no name, no time: deterministic for a given Go version).
func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		panic(err)
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// pattern is n deterministic pixel bytes covering 0 and 255.
func pattern(n, seed int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte((i*37 + seed*101) % 256)
	}
	b[0], b[n-1] = 0, 255
	return b
}

// imagesFile is an IDX image file of n h×w images holding pattern(n·h·w, seed).
func imagesFile(n, h, w, seed int) []byte {
	return idx(ImagesMagic, []int{n, h, w}, pattern(n*h*w, seed))
}

// labelsFile is an IDX label file of the given labels.
func labelsFile(labels ...byte) []byte { return idx(LabelsMagic, []int{len(labels)}, labels) }

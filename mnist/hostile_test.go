package mnist

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"hash/crc32"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// allocated returns the bytes f allocates on the heap (all goroutines; the tests of this
// package do not run in parallel).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestLyingHeaderAllocatesForTheDataOnly: a small file whose header promises a million
// images fails with one line, saying how much was there, after allocating memory for the
// data it holds, not for the million images (3 GiB of float32) nor for what its
// compressed size could expand to (×1032).
func TestLyingHeaderAllocatesForTheDataOnly(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	body := make([]byte, 64<<10) // random: gzip cannot shrink it
	for i := range body {
		body[i] = byte(r.UintN(256))
	}
	file := idx(ImagesMagic, []int{1_000_000, 28, 28}, body)
	want := "mnist: f: header promises 1000000 images of 28×28, the data ends after 83 whole images (65536 of 784000000 bytes; file truncated)"
	for _, tc := range []struct {
		name string
		data []byte
		hide bool // hide the size: a reader with neither Size nor Stat
	}{{"gzip", gz(file), false}, {"raw", file, false}, {"raw, size unknown", file, true}} {
		var err error
		used := allocated(func() {
			var src interface{ Read([]byte) (int, error) } = bytes.NewReader(tc.data)
			if tc.hide {
				src = struct{ *bytes.Reader }{bytes.NewReader(tc.data)}
			}
			var d *Dataset
			d, err = ReadImages(src, "f")
			require.Nil(t, d)
		})
		require.EqualError(t, err, want, tc.name)
		require.Less(t, used, uint64(8<<20), "%s: %d bytes allocated for 64 KiB of pixels", tc.name, used)
	}
}

// TestLyingLabelHeader: the same for a label file.
func TestLyingLabelHeader(t *testing.T) {
	file := idx(LabelsMagic, []int{MaxImages}, []byte{1, 2, 3})
	var err error
	used := allocated(func() { _, err = ReadLabels(bytes.NewReader(gz(file)), "l") })
	require.EqualError(t, err, "mnist: l: header promises 10000000 labels, the data ends after 3 (file truncated)")
	require.Less(t, used, uint64(4<<20), "%d bytes allocated for 3 labels", used)
}

// TestGrowDoublesUpToTheLimit: the buffer of a body grows by doubling, never past the size
// the header announces, and keeps what it held.
func TestGrowDoublesUpToTheLimit(t *testing.T) {
	s := grow([]byte(nil), 3, 100)
	require.Equal(t, 3, cap(s))
	s = append(s, 1, 2, 3)
	s = grow(s, 1, 100)
	require.Equal(t, []int{3, 6}, []int{len(s), cap(s)})
	require.Equal(t, []byte{1, 2, 3}, s)
	s = grow(s, 50, 100)
	require.Equal(t, 53, cap(s), "what is needed, when more than double")
	s = grow(s[:53], 48, 100)
	require.Equal(t, 100, cap(s), "never past the limit")
	require.Equal(t, 100, cap(grow(s, 0, 1000)), "no growth when it fits")
}

// gzipWithTrailer is a gzip member whose deflate data decodes to body but whose trailer
// (CRC-32 and size) describes claimed: a stream corrupted in a way that decodes cleanly
// until the checksum.
func gzipWithTrailer(body, claimed []byte) []byte {
	b := gz(body)
	b = b[:len(b)-8]
	b = binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(claimed))
	return binary.LittleEndian.AppendUint32(b, uint32(len(claimed)))
}

// TestCorruptGzipIsNotTrailingBytes: a damaged deflate stream that decodes to more bytes
// than the header announces is a corrupt stream, not a file with trailing bytes; a sound
// stream with more bytes is one with trailing bytes.
func TestCorruptGzipIsNotTrailingBytes(t *testing.T) {
	good := imagesFile(2, 3, 4, 0)
	long := append(bytes.Clone(good), 7, 7, 7)
	_, err := ReadImages(bytes.NewReader(gzipWithTrailer(long, good)), "f")
	require.EqualError(t, err, "mnist: f: corrupt gzip stream after the 24 data bytes: gzip: invalid checksum")
	_, err = ReadImages(bytes.NewReader(gz(long)), "f")
	require.EqualError(t, err, "mnist: f: trailing bytes after the 24 data bytes the header announces")

	// Every single damaged byte of the deflate data or the trailer is an error, and never
	// one that blames trailing bytes (the gzip header is 10 bytes).
	zipped := gz(good)
	for i := 10; i < len(zipped); i++ {
		for _, flip := range []byte{0x01, 0x55, 0xff} {
			bad := bytes.Clone(zipped)
			bad[i] ^= flip
			d, err := ReadImages(bytes.NewReader(bad), "f")
			require.Error(t, err, "byte %d ^ %#x", i, flip)
			require.Nil(t, d)
			require.NotContains(t, err.Error(), "trailing", "byte %d ^ %#x", i, flip)
			require.False(t, strings.ContainsAny(err.Error(), "\n\r"), "one line")
		}
	}
}

// TestReadImagesBodyCorrupt: damage inside the image data is named as a corrupt stream
// with how far the data got.
func TestReadImagesBodyCorrupt(t *testing.T) {
	var buf bytes.Buffer
	w, err := gzip.NewWriterLevel(&buf, gzip.NoCompression) // stored blocks: bytes map 1:1
	require.NoError(t, err)
	_, err = w.Write(imagesFile(4, 8, 8, 1))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	b := buf.Bytes()
	b[len(b)-8-40] ^= 0xff // a pixel of the last image; the stored block still decodes
	_, err = ReadImages(bytes.NewReader(b), "f")
	require.EqualError(t, err, "mnist: f: corrupt gzip stream after the 256 data bytes: gzip: invalid checksum")
}

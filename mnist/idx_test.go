package mnist

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReadImagesRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, size := range [][3]int{{1, 1, 1}, {3, 28, 28}, {7, 5, 9}, {2, 1024, 3}} {
		n, h, w := size[0], size[1], size[2]
		raw := make([]byte, n*h*w)
		for i := range raw {
			raw[i] = byte(r.UintN(256))
		}
		file := idx(ImagesMagic, []int{n, h, w}, raw)
		for _, enc := range []struct {
			name string
			data []byte
		}{{"raw", file}, {"gzip", gz(file)}} {
			d, err := ReadImages(bytes.NewReader(enc.data), "x")
			require.NoError(t, err, "%v %s", size, enc.name)
			require.Equal(t, [3]int{n, h, w}, [3]int{d.N, d.H, d.W})
			require.Equal(t, scaled(raw), d.Images, "%v %s", size, enc.name)
			require.Nil(t, d.Labels)
		}
	}
}

// TestReadImagesNoSizeHint reads through a plain io.Reader (no Size or Stat), the path
// that grows its buffer as the data comes.
func TestReadImagesNoSizeHint(t *testing.T) {
	file := imagesFile(300, 64, 70, 3) // 1.3 MB, over the 1 MiB first allocation
	d, err := ReadImages(struct{ *bytes.Reader }{bytes.NewReader(gz(file))}, "x")
	require.NoError(t, err)
	require.Equal(t, scaled(pattern(300*64*70, 3)), d.Images)
}

func TestPixelScale(t *testing.T) {
	require.Equal(t, float32(0), pixelValue[0])
	require.Equal(t, float32(1), pixelValue[255])
	for i := 1; i < 256; i++ {
		require.Greater(t, pixelValue[i], pixelValue[i-1])
		require.InDelta(t, float64(i)/255, float64(pixelValue[i]), 3e-8)
	}
}

func TestReadLabelsRoundTrip(t *testing.T) {
	want := []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 0}
	for _, data := range [][]byte{labelsFile(want...), gz(labelsFile(want...))} {
		got, err := ReadLabels(bytes.NewReader(data), "l")
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
}

func TestReadImagesBad(t *testing.T) {
	good := imagesFile(2, 3, 4, 0)
	goodGz := gz(good)
	corruptGz := bytes.Clone(goodGz)
	corruptGz[12] ^= 0x55 // inside the deflate data (the gzip header is 10 bytes)
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "mnist: f: empty or 1-byte file, not an IDX file"},
		{"labels magic", labelsFile(1, 2), "mnist: f: want magic 0x00000803, got 0x00000801"},
		{"short magic", good[:3], "mnist: f: reading the magic number: unexpected EOF"},
		{"short dims", good[:9], "mnist: f: reading dimension 2 of 3: unexpected EOF"},
		{"zero images", idx(ImagesMagic, []int{0, 3, 4}, nil), "mnist: f: header says 0 images, want 1..10000000"},
		{"too many images", idx(ImagesMagic, []int{MaxImages + 1, 1, 1}, nil), "mnist: f: header says 10000001 images, want 1..10000000"},
		{"zero height", idx(ImagesMagic, []int{2, 0, 4}, nil), "mnist: f: header says images of 0×4, want sides of 1..1024"},
		{"zero width", idx(ImagesMagic, []int{2, 3, 0}, nil), "mnist: f: header says images of 3×0, want sides of 1..1024"},
		{"huge side", idx(ImagesMagic, []int{2, 3, 1025}, nil), "mnist: f: header says images of 3×1025, want sides of 1..1024"},
		{"huge dim", idx(ImagesMagic, []int{1 << 31, 3, 4}, nil), "mnist: f: header says 2147483648 images, want 1..10000000"},
		{"too many pixels", idx(ImagesMagic, []int{MaxImages, 1024, 1024}, nil), "mnist: f: header says 10000000 images of 1024×1024, more than 1073741824 pixels in all"},
		{"pixels just over 2^30", idx(ImagesMagic, []int{1 << 20, 32, 32 + 1}, nil), "mnist: f: header says 1048576 images of 32×33, more than 1073741824 pixels in all"},
		{"truncated data", good[:len(good)-1], "mnist: f: header promises 2 images of 3×4, the data ends after 1 whole image (23 of 24 bytes; file truncated)"},
		{"header only", good[:16], "mnist: f: header promises 2 images of 3×4, the data ends after 0 whole images (0 of 24 bytes; file truncated)"},
		{"trailing garbage", append(bytes.Clone(good), 0), "mnist: f: trailing bytes after the 24 data bytes the header announces"},
		{"gzip of truncated data", gz(good[:20]), "mnist: f: header promises 2 images of 3×4, the data ends after 0 whole images (4 of 24 bytes; file truncated)"},
		{"gzip of trailing garbage", gz(append(bytes.Clone(good), 1, 2)), "mnist: f: trailing bytes after the 24 data bytes the header announces"},
		{"truncated gzip", goodGz[:len(goodGz)-4], "mnist: f: the gzip stream ends before its trailer (file truncated)"},
		{"gzip cut in the header", goodGz[:5], "mnist: f: bad gzip header: unexpected EOF"},
		{"corrupt gzip", corruptGz, "mnist: f: "},
		{"garbage after gzip", append(bytes.Clone(goodGz), make([]byte, 16)...), "mnist: f: after the data: gzip: invalid header"},
	} {
		d, err := ReadImages(bytes.NewReader(tc.data), "f")
		require.Error(t, err, tc.name)
		require.Nil(t, d, tc.name)
		if tc.name == "corrupt gzip" {
			require.Contains(t, err.Error(), tc.want, tc.name)
			continue
		}
		require.EqualError(t, err, tc.want, tc.name)
	}
}

func TestReadLabelsBad(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"images magic", imagesFile(1, 1, 1, 0), "mnist: l: want magic 0x00000801, got 0x00000803"},
		{"label 10", labelsFile(0, 9, 10), "mnist: l: label 2 is 10, want 0..9"},
		{"label 255", labelsFile(255), "mnist: l: label 0 is 255, want 0..9"},
		{"zero labels", labelsFile(), "mnist: l: header says 0 labels, want 1..10000000"},
		{"truncated", labelsFile(1, 2, 3)[:10], "mnist: l: header promises 3 labels, the data ends after 2 (file truncated)"},
		{"trailing", append(labelsFile(1, 2, 3), 4), "mnist: l: trailing bytes after the 3 data bytes the header announces"},
	} {
		got, err := ReadLabels(bytes.NewReader(tc.data), "l")
		require.EqualError(t, err, tc.want, tc.name)
		require.Nil(t, got, tc.name)
	}
}

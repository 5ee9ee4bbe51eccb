package mnist

import (
	"bytes"
	"compress/gzip"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the fixtures in ../testdata/idx")

const fixtureDir = "../testdata/idx"

// The tiny set: training 5 images of 4×3 (gzip), test 2 images of 4×3 (raw). Height and
// width differ so that a transposed read shows.
var (
	tinyTrainLabels = []byte{5, 0, 4, 1, 9}
	tinyTestLabels  = []byte{7, 2}
)

// fixtures are the committed test files, each generated here. Names under bad/ are
// deliberately broken.
func fixtures() map[string][]byte {
	trainImages := gz(imagesFile(5, 4, 3, 1))
	// A gzip trailer is CRC-32 then size; flipping the CRC's first byte breaks only the checksum.
	crc := bytes.Clone(trainImages)
	crc[len(crc)-8] ^= 0xff
	return map[string][]byte{
		"tiny/train-images-idx3-ubyte.gz": trainImages,
		"tiny/train-labels-idx1-ubyte.gz": gz(labelsFile(tinyTrainLabels...)),
		"tiny/t10k-images-idx3-ubyte":     imagesFile(2, 4, 3, 2),
		"tiny/t10k-labels-idx1-ubyte":     labelsFile(tinyTestLabels...),

		"bad/truncated-images-idx3-ubyte.gz": trainImages[:len(trainImages)/2],
		"bad/crc-images-idx3-ubyte.gz":       crc,
		"bad/magic-images-idx3-ubyte":        labelsFile(1, 2, 3),
		"bad/label-labels-idx1-ubyte":        labelsFile(1, 10, 3),
	}
}

// TestFixtures checks that the committed fixtures are what fixtures() generates (their
// content after gunzip, for the valid .gz ones: gzip output may change between Go
// versions). With -update it writes them.
func TestFixtures(t *testing.T) {
	for name, want := range fixtures() {
		path := filepath.Join(fixtureDir, name)
		if *update {
			require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
			require.NoError(t, os.WriteFile(path, want, 0o644))
			continue
		}
		got, err := os.ReadFile(path)
		require.NoError(t, err, "fixture missing: go test ./mnist -run TestFixtures -update")
		if strings.HasPrefix(name, "bad/") && strings.HasSuffix(name, ".gz") {
			continue // broken gzip; TestBadFixtures checks what it does
		}
		require.Equal(t, gunzipIf(t, want), gunzipIf(t, got), "fixture %s is stale: go test ./mnist -run TestFixtures -update", name)
	}
}

func gunzipIf(t *testing.T, b []byte) []byte {
	if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		return b
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	require.NoError(t, err)
	out, err := io.ReadAll(zr)
	require.NoError(t, err)
	return out
}

func TestLoadTinyFixture(t *testing.T) {
	train, test, err := Load(filepath.Join(fixtureDir, "tiny"))
	require.NoError(t, err)

	require.Equal(t, [3]int{5, 4, 3}, [3]int{train.N, train.H, train.W})
	require.Equal(t, tinyTrainLabels, train.Labels)
	require.Equal(t, scaled(pattern(5*4*3, 1)), train.Images)

	require.Equal(t, [3]int{2, 4, 3}, [3]int{test.N, test.H, test.W})
	require.Equal(t, tinyTestLabels, test.Labels)
	require.Equal(t, scaled(pattern(2*4*3, 2)), test.Images)
	require.Equal(t, test.Images[12:24], test.Image(1))
}

func TestBadFixtures(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{"truncated-images-idx3-ubyte.gz", "file truncated"},
		{"crc-images-idx3-ubyte.gz", "gzip: invalid checksum"},
		{"magic-images-idx3-ubyte", "want magic 0x00000803, got 0x00000801"},
	} {
		path := filepath.Join(fixtureDir, "bad", tc.file)
		_, err := readFile(path, ReadImages)
		require.Error(t, err, tc.file)
		require.Contains(t, err.Error(), "mnist: "+path+": ")
		require.Contains(t, err.Error(), tc.want)
	}
	path := filepath.Join(fixtureDir, "bad", "label-labels-idx1-ubyte")
	_, err := readFile(path, ReadLabels)
	require.EqualError(t, err, "mnist: "+path+": label 1 is 10, want 0..9")
}

// scaled is the expected Images of raw pixel bytes: float32(b)/255.
func scaled(b []byte) []float32 {
	f := make([]float32, len(b))
	for i, v := range b {
		f[i] = float32(v) / 255
	}
	return f
}

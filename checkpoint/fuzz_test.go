package checkpoint

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzLoad: any bytes either fail to decode with an error or give parameters that pass
// the arch's check and survive a round trip bit for bit.
func FuzzLoad(f *testing.F) {
	good, err := os.ReadFile(fixture)
	require.NoError(f, err)
	h, data := splitFile(f, good)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add(joinFile(h, data))
	f.Add(joinFile(strings.Replace(h, `[72,80]`, `[76,84]`, 1), data))
	f.Add(joinFile(`{"__metadata__":{"arch":"`+tinySpec+`"}}`, nil))
	a := tinyArch(f)
	f.Fuzz(func(t *testing.T, file []byte) {
		p, err := decode(file, a)
		if err != nil {
			require.Nil(t, p)
			return
		}
		require.NoError(t, a.Check(p))
		q, err := decode(encode(a, p), a)
		require.NoError(t, err)
		require.Equal(t, bits(p), bits(q))
	})
}

module example.com/predict

go 1.26.8

require github.com/vkcnn/vkcnn v0.0.0

require (
	golang.org/x/image v0.48.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
)

// This example lives beside the module it uses; outside the repository, drop the replace
// line and require a tagged version instead.
replace github.com/vkcnn/vkcnn => ../..

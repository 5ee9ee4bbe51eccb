package vulkan

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

// vkcnnOpenLoader dlopens name and returns its vkGetInstanceProcAddr, or NULL with the
// reason copied into err (size errLen).
static void *vkcnnOpenLoader(const char *name, char *err, size_t errLen) {
	void *h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		const char *e = dlerror();
		snprintf(err, errLen, "%s", e ? e : "dlopen failed");
		return NULL;
	}
	void *p = dlsym(h, "vkGetInstanceProcAddr");
	if (p == NULL) {
		const char *e = dlerror();
		snprintf(err, errLen, "%s: no vkGetInstanceProcAddr: %s", name, e ? e : "");
		dlclose(h);
	}
	return p;
}
*/
import "C"

import (
	"errors"
	"strings"
	"sync"
	"unsafe"

	vk "github.com/vulkan-go/vulkan"
)

// loaderNames are the Vulkan loader's names, tried in order: the runtime package's soname
// first (GPU servers have only that), then the development symlink.
var loaderNames = []string{"libvulkan.so.1", "libvulkan.so"}

var (
	loaderOnce sync.Once
	loaderErr  error
)

// openLoader dlopens the first of names that loads and returns its vkGetInstanceProcAddr.
func openLoader(names []string) (unsafe.Pointer, error) {
	var reasons []string
	for _, name := range names {
		cname := C.CString(name)
		var buf [512]C.char
		p := C.vkcnnOpenLoader(cname, &buf[0], C.size_t(len(buf)))
		C.free(unsafe.Pointer(cname))
		if p != nil {
			return p, nil
		}
		reasons = append(reasons, C.GoString(&buf[0]))
	}
	return nil, noDevice("vulkan: no Vulkan loader found (%s): %s", names[0], strings.Join(reasons, "; "))
}

// loadVulkan finds the system's Vulkan loader at run time (never at link time), so that a
// binary built here starts on machines without Vulkan and can fall back to the CPU. It runs
// once per process; later calls return the first outcome.
func loadVulkan() error {
	loaderOnce.Do(func() {
		p, err := openLoader(loaderNames)
		if err != nil {
			loaderErr = err
			return
		}
		vk.SetGetInstanceProcAddr(p)
		if err := vk.Init(); err != nil {
			loaderErr = errors.New("vulkan: loader found but vkInit failed: " + err.Error())
		}
	})
	return loaderErr
}

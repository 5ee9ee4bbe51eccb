package gpu

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

// vkcnnOpenLoader dlopens the Vulkan loader and returns its vkGetInstanceProcAddr, or NULL
// with the dlerror text copied into err (size errLen).
static void *vkcnnOpenLoader(char *err, size_t errLen) {
	const char *names[] = {"libvulkan.so.1", "libvulkan.so"};
	const char *first = NULL;
	for (int i = 0; i < 2; i++) {
		void *h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
		if (h == NULL) {
			const char *e = dlerror();
			if (first == NULL && e != NULL) {
				snprintf(err, errLen, "%s", e);
				first = err;
			}
			continue;
		}
		void *p = dlsym(h, "vkGetInstanceProcAddr");
		if (p != NULL) {
			return p;
		}
		const char *e = dlerror();
		snprintf(err, errLen, "%s: no vkGetInstanceProcAddr: %s", names[i], e ? e : "");
		first = err;
		dlclose(h);
	}
	return NULL;
}
*/
import "C"

import (
	"errors"
	"sync"
	"unsafe"

	vk "github.com/vulkan-go/vulkan"
)

var (
	loaderOnce sync.Once
	loaderErr  error
)

// loadVulkan finds the system's Vulkan loader at run time (never at link time), so that a
// binary built here starts on machines without Vulkan and can fall back to the CPU. It runs
// once per process; later calls return the first outcome.
func loadVulkan() error {
	loaderOnce.Do(func() {
		var buf [512]C.char
		p := C.vkcnnOpenLoader(&buf[0], C.size_t(len(buf)))
		if p == nil {
			loaderErr = errors.New("vulkan: no Vulkan loader found (libvulkan.so.1): " + C.GoString(&buf[0]))
			return
		}
		vk.SetGetInstanceProcAddr(unsafe.Pointer(p))
		if err := vk.Init(); err != nil {
			loaderErr = errors.New("vulkan: loader found but vkInit failed: " + err.Error())
		}
	})
	return loaderErr
}

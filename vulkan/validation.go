package vulkan

/*
#include <stdint.h>
#include <stdlib.h>

// VkValidationFeaturesEXT (VK_EXT_validation_features) is newer than the binding's headers
// (Vulkan 1.1.88), so it is declared here with the same members; the enum members are
// 32-bit as in vulkan_core.h.
typedef struct {
	int32_t sType;
	const void *pNext;
	uint32_t enabledValidationFeatureCount;
	const int32_t *pEnabledValidationFeatures;
	uint32_t disabledValidationFeatureCount;
	const int32_t *pDisabledValidationFeatures;
} vkcnnValidationFeatures;

// vkcnnNewSyncValidation allocates a VkValidationFeaturesEXT that turns on synchronization
// validation; free it with vkcnnFreeSyncValidation after vkCreateInstance.
static vkcnnValidationFeatures *vkcnnNewSyncValidation(void) {
	vkcnnValidationFeatures *f = calloc(1, sizeof *f);
	int32_t *enables = calloc(1, sizeof *enables);
	if (f == NULL || enables == NULL) {
		free(f);
		free(enables);
		return NULL;
	}
	enables[0] = 4; // VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT
	f->sType = 1000247000; // VK_STRUCTURE_TYPE_VALIDATION_FEATURES_EXT
	f->enabledValidationFeatureCount = 1;
	f->pEnabledValidationFeatures = enables;
	return f;
}

static void vkcnnFreeSyncValidation(vkcnnValidationFeatures *f) {
	if (f != NULL) {
		free((void *)f->pEnabledValidationFeatures);
		free(f);
	}
}
*/
import "C"

import (
	"fmt"
	"strings"
	"sync"
	"unsafe"

	vk "github.com/vulkan-go/vulkan"
)

const (
	validationLayer      = "VK_LAYER_KHRONOS_validation"
	validationFeaturesEx = "VK_EXT_validation_features"
)

// validationLog collects the messages the validation layer reports for one Device.
type validationLog struct {
	mu   sync.Mutex
	msgs []string
}

func (l *validationLog) add(m string) {
	l.mu.Lock()
	l.msgs = append(l.msgs, m)
	l.mu.Unlock()
}

func (l *validationLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := l.msgs
	l.msgs = nil
	return m
}

// The binding supports a single debug-report function per process, so one dispatcher is
// installed; each Device's callback carries a distinct C allocation as its user data, and
// the dispatcher routes a message to the log registered under that key.
var (
	sinksMu sync.Mutex
	sinks   = map[unsafe.Pointer]*validationLog{}
)

func debugReport(flags vk.DebugReportFlags, _ vk.DebugReportObjectType, _ uint64, _ uint, code int32, prefix, msg string, userData unsafe.Pointer) vk.Bool32 {
	// prefix and msg alias the layer's C memory, valid only during this call: copy them.
	kind := "warning"
	if flags&vk.DebugReportFlags(vk.DebugReportErrorBit) != 0 {
		kind = "error"
	} else if flags&vk.DebugReportFlags(vk.DebugReportPerformanceWarningBit) != 0 {
		kind = "performance warning"
	}
	line := fmt.Sprintf("%s %s (%d): %s", strings.Clone(prefix), kind, code, strings.Clone(msg))
	sinksMu.Lock()
	l := sinks[userData]
	sinksMu.Unlock()
	if l != nil {
		l.add(line)
	}
	return vk.False
}

// instanceLayers reports which instance layers are installed.
func instanceLayers() (map[string]bool, error) {
	var n uint32
	if r := vk.EnumerateInstanceLayerProperties(&n, nil); r != vk.Success {
		return nil, vkErr("vkEnumerateInstanceLayerProperties", r)
	}
	props := make([]vk.LayerProperties, n)
	if n > 0 {
		if r := vk.EnumerateInstanceLayerProperties(&n, props); r != vk.Success {
			return nil, vkErr("vkEnumerateInstanceLayerProperties", r)
		}
	}
	have := map[string]bool{}
	for i := range props[:n] {
		props[i].Deref()
		have[vk.ToString(props[i].LayerName[:])] = true
	}
	return have, nil
}

// validationConfig is what instance creation needs to turn validation on: the layer, the
// debug-report extension, and a VkValidationFeaturesEXT chain enabling synchronization
// validation. free must be called after vkCreateInstance.
type validationConfig struct {
	layers, extensions []string
	pNext              unsafe.Pointer
	free               func()
}

func newValidationConfig() (*validationConfig, error) {
	have, err := instanceLayers()
	if err != nil {
		return nil, err
	}
	if !have[validationLayer] {
		return nil, fmt.Errorf("vulkan: validation requested but %s is not installed (Debian: vulkan-validationlayers)", validationLayer)
	}
	f := C.vkcnnNewSyncValidation()
	if f == nil {
		return nil, fmt.Errorf("vulkan: validation: out of host memory")
	}
	return &validationConfig{
		layers:     []string{validationLayer + "\x00"},
		extensions: []string{vk.ExtDebugReportExtensionName + "\x00", validationFeaturesEx + "\x00"},
		pNext:      unsafe.Pointer(f),
		free:       func() { C.vkcnnFreeSyncValidation(f) },
	}, nil
}

// debugReporter is a registered debug-report callback and its routing key.
type debugReporter struct {
	cb  vk.DebugReportCallback
	key unsafe.Pointer // C memory: the callback's user data
}

// installDebugReport registers the debug-report callback on instance, forwarding errors and
// warnings to log.
func installDebugReport(instance vk.Instance, log *validationLog) (*debugReporter, error) {
	key := C.malloc(1)
	if key == nil {
		return nil, fmt.Errorf("vulkan: validation: out of host memory")
	}
	info := vk.DebugReportCallbackCreateInfo{
		SType: vk.StructureTypeDebugReportCallbackCreateInfo,
		Flags: vk.DebugReportFlags(vk.DebugReportErrorBit | vk.DebugReportWarningBit |
			vk.DebugReportPerformanceWarningBit),
		PfnCallback: debugReport,
		PUserData:   key,
	}
	sinksMu.Lock()
	sinks[key] = log
	sinksMu.Unlock()
	var cb vk.DebugReportCallback
	if r := vk.CreateDebugReportCallback(instance, &info, nil, &cb); r != vk.Success {
		(&debugReporter{key: key}).remove(nil)
		return nil, vkErr("vkCreateDebugReportCallbackEXT", r)
	}
	return &debugReporter{cb: cb, key: key}, nil
}

// remove destroys the callback (when instance is not nil) and unregisters its log.
func (r *debugReporter) remove(instance vk.Instance) {
	if instance != nil && r.cb != vk.NullDebugReportCallback {
		vk.DestroyDebugReportCallback(instance, r.cb, nil)
	}
	sinksMu.Lock()
	delete(sinks, r.key)
	sinksMu.Unlock()
	C.free(r.key)
}

# Included by the top-level Makefile. `make shaders` compiles every shaders/*.comp to the
# SPIR-V beside it; the .spv files are committed and embedded by package shaders. Code that
# several shaders share lives once in shaders/common/*.glsl, pulled in with
# `#include "common/NAME.glsl"` (GL_GOOGLE_include_directive, resolved by glslc -I shaders).
GLSLC ?= glslc
GLSLC_FLAGS ?= --target-env=vulkan1.1 -O -I shaders

SHADER_SRC := $(wildcard shaders/*.comp)
SHADER_SPV := $(SHADER_SRC:.comp=.spv)
SHADER_INC := $(wildcard shaders/common/*.glsl)

.PHONY: shaders
shaders: $(SHADER_SPV)

# Written to a temporary file and renamed: a go build running meanwhile never embeds a
# half-written .spv (and caches it under the finished file's hash).
shaders/%.spv: shaders/%.comp
	$(GLSLC) $(GLSLC_FLAGS) -o $@.tmp $< && mv -f $@.tmp $@ || { rm -f $@.tmp; exit 1; }

# Each .spv also depends on the headers its .comp includes, read from the #include lines by
# one grep over all shaders ("shaders/x.comp:#include "common/y.glsl"" becomes the rule
# "shaders/x.spv: shaders/common/y.glsl"). That is the whole dependency graph only while no
# header includes another, so a nested include stops make here rather than go unseen.
ifneq ($(SHADER_INC),)
ifneq ($(shell grep -l '^[[:space:]]*[#][[:space:]]*include' $(SHADER_INC)),)
$(error shaders/common: a header includes another; shaders.mk's dependencies are one level deep)
endif
endif
$(foreach rule,$(shell grep -H '^[[:space:]]*[#][[:space:]]*include' $(SHADER_SRC) /dev/null | \
	sed 's|\.comp:[^"]*"\([^"]*\)".*|.spv:shaders/\1|'),$(eval $(rule)))

# Included by the top-level Makefile. `make shaders` compiles every shaders/*.comp to the
# SPIR-V beside it; the .spv files are committed and embedded by package shaders.
GLSLC ?= glslc
GLSLC_FLAGS ?= --target-env=vulkan1.1 -O

SHADER_SRC := $(wildcard shaders/*.comp)
SHADER_SPV := $(SHADER_SRC:.comp=.spv)

.PHONY: shaders
shaders: $(SHADER_SPV)

shaders/%.spv: shaders/%.comp
	$(GLSLC) $(GLSLC_FLAGS) -o $@ $<

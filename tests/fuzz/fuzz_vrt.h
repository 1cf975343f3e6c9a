/*
 * fuzz_vrt.h - the shape of fuzz_vrt's structured inputs, shared with the
 * seed generator (seed_vrt.c): the raw contents of the frames of a native
 * trace, frame 0 (the header) first, separated by FUZZ_VRT_SEP. The
 * target compresses each piece into one zstd frame (checksum and content
 * size on, as the shim writes them), so mutations reach the record
 * decoder instead of dying at the frame checksum.
 */
#ifndef VRAMSIM_FUZZ_VRT_H
#define VRAMSIM_FUZZ_VRT_H

#define FUZZ_VRT_SEP "\xffVF\xff"
#define FUZZ_VRT_SEP_LEN 4

#endif

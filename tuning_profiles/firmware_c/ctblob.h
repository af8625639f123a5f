/*
 * ctblob: reference reader for camtune tuning blobs (python main.py export P --format blob).
 *
 * C99, no allocation, no dependency beyond <stddef.h>/<stdint.h>. The blob is read in place:
 * ctb_open() checks the magic, format version, declared sizes, every section's bounds and the
 * CRC-32 before any value is handed out; the accessors then check indices against the counts.
 * Layout and fixed-point formats: tuning_profiles/formats/blob.py (and formats/embedded.py).
 *
 * Copy ctblob.h and ctblob.c into a firmware tree as they are.
 */
#ifndef CTBLOB_H
#define CTBLOB_H

#include <stddef.h>
#include <stdint.h>

#define CTB_FORMAT_VERSION 1u

enum {
    CTB_OK = 0,
    CTB_ERR_ARG = -1,      /* a NULL pointer or an index past the end of a table */
    CTB_ERR_SIZE = -2,     /* shorter than its header, or sizes that do not add up */
    CTB_ERR_MAGIC = -3,    /* not a camtune blob */
    CTB_ERR_VERSION = -4,  /* a format version this reader does not know */
    CTB_ERR_CRC = -5,      /* corrupted: the CRC-32 does not match */
    CTB_ERR_BOUNDS = -6,   /* a section or table reaches past the data */
    CTB_ERR_MISSING = -7   /* no section with that tag */
};

typedef struct {
    const uint8_t *data;
    uint32_t size;
    uint16_t version;
    uint16_t sections;
} ctb_blob_t;

/* Little-endian field readers (alignment-safe). */
uint16_t ctb_u16(const uint8_t *p);
int16_t ctb_i16(const uint8_t *p);
uint32_t ctb_u32(const uint8_t *p);
/* CRC-32 (IEEE 802.3, reflected, as zlib's crc32). */
uint32_t ctb_crc32(const uint8_t *p, size_t n);
const char *ctb_error(int code);

/* Validate `size` bytes at `data` and fill `blob`. Returns CTB_OK or a CTB_ERR_* code. */
int ctb_open(ctb_blob_t *blob, const void *data, size_t size);
/* The section with this 4-character tag (e.g. "CCMT"): its bytes and size. */
int ctb_section(const ctb_blob_t *blob, const char tag[4], const uint8_t **bytes, uint32_t *size);

/* Typed accessors (each validates the section's counts against its size). */
int ctb_identity(const ctb_blob_t *blob, uint8_t *bit_depth, uint8_t *cfa, uint8_t *levels_from_capture,
                 uint32_t *base_iso, uint32_t *stage_enable, const char **name);
int ctb_levels(const ctb_blob_t *blob, uint16_t black[4], uint16_t *white);
int ctb_awb(const ctb_blob_t *blob, unsigned index, uint16_t *ct, uint16_t *r_over_g, uint16_t *b_over_g,
            unsigned *count);
int ctb_ccm(const ctb_blob_t *blob, unsigned index, uint16_t *ct, int16_t m[9], unsigned *count);
int ctb_lsc_layout(const ctb_blob_t *blob, uint16_t *cols, uint16_t *rows, uint16_t *count);
/* Gain (Q5.11) of `channel` (0 R, 1 Gr, 2 Gb, 3 B) at row, col of table `index`; its CT too. */
int ctb_lsc_gain(const ctb_blob_t *blob, unsigned index, unsigned channel, unsigned row, unsigned col,
                 uint16_t *ct, uint16_t *gain);
int ctb_tone(const ctb_blob_t *blob, unsigned index, uint16_t *in, uint16_t *out, unsigned *count);
int ctb_denoise(const ctb_blob_t *blob, unsigned index, uint16_t *gain, uint16_t *luma, uint16_t *chroma,
                uint8_t *luma_radius, uint8_t *chroma_radius, unsigned *count);
int ctb_sharpen(const ctb_blob_t *blob, unsigned index, uint16_t *gain, uint16_t *strength,
                uint16_t *sigma, uint16_t *threshold, uint16_t *limit, unsigned *count);
int ctb_colour(const ctb_blob_t *blob, uint16_t *saturation, int16_t *hue);

#endif /* CTBLOB_H */

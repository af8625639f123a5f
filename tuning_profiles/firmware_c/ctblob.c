/* ctblob: reference reader for camtune tuning blobs. See ctblob.h. */
#include "ctblob.h"

#include <string.h>

#define HEADER_SIZE 16u
#define ENTRY_SIZE 12u

uint16_t ctb_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

int16_t ctb_i16(const uint8_t *p)
{
    uint16_t u = ctb_u16(p);
    return (int16_t)(u < 0x8000u ? (int32_t)u : (int32_t)u - 0x10000);
}

uint32_t ctb_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

uint32_t ctb_crc32(const uint8_t *p, size_t n)
{
    uint32_t crc = 0xFFFFFFFFu;
    size_t i;
    int k;
    for (i = 0; i < n; i++) {
        crc ^= p[i];
        for (k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return crc ^ 0xFFFFFFFFu;
}

const char *ctb_error(int code)
{
    switch (code) {
    case CTB_OK: return "ok";
    case CTB_ERR_ARG: return "bad argument or index";
    case CTB_ERR_SIZE: return "blob too short or sizes inconsistent";
    case CTB_ERR_MAGIC: return "not a camtune blob";
    case CTB_ERR_VERSION: return "unsupported format version";
    case CTB_ERR_CRC: return "CRC-32 mismatch (corrupted)";
    case CTB_ERR_BOUNDS: return "section out of bounds";
    case CTB_ERR_MISSING: return "section missing";
    default: return "unknown error";
    }
}

int ctb_open(ctb_blob_t *blob, const void *data, size_t size)
{
    const uint8_t *p = (const uint8_t *)data;
    uint32_t total, sections, i;
    if (!blob || !data)
        return CTB_ERR_ARG;
    memset(blob, 0, sizeof(*blob));
    if (size < HEADER_SIZE + 4u)
        return CTB_ERR_SIZE;
    if (memcmp(p, "CTPB", 4) != 0)
        return CTB_ERR_MAGIC;
    if (ctb_u16(p + 4) != CTB_FORMAT_VERSION)
        return CTB_ERR_VERSION;
    total = ctb_u32(p + 12);
    sections = ctb_u16(p + 8);
    if (ctb_u16(p + 6) != HEADER_SIZE || total != size || HEADER_SIZE + ENTRY_SIZE * sections + 4u > total)
        return CTB_ERR_SIZE;
    if (ctb_crc32(p, total - 4u) != ctb_u32(p + total - 4u))
        return CTB_ERR_CRC;
    for (i = 0; i < sections; i++) {
        const uint8_t *e = p + HEADER_SIZE + ENTRY_SIZE * i;
        uint32_t off = ctb_u32(e + 4), len = ctb_u32(e + 8);
        if (off < HEADER_SIZE + ENTRY_SIZE * sections || off > total - 4u || len > total - 4u - off)
            return CTB_ERR_BOUNDS;
    }
    blob->data = p;
    blob->size = total;
    blob->version = ctb_u16(p + 4);
    blob->sections = (uint16_t)sections;
    return CTB_OK;
}

int ctb_section(const ctb_blob_t *blob, const char tag[4], const uint8_t **bytes, uint32_t *size)
{
    uint32_t i;
    if (!blob || !blob->data || !tag || !bytes || !size)
        return CTB_ERR_ARG;
    for (i = 0; i < blob->sections; i++) {
        const uint8_t *e = blob->data + HEADER_SIZE + ENTRY_SIZE * i;
        if (memcmp(e, tag, 4) == 0) {
            *bytes = blob->data + ctb_u32(e + 4);
            *size = ctb_u32(e + 8);
            return CTB_OK;
        }
    }
    return CTB_ERR_MISSING;
}

/* The entry `index` of a table section: `head` bytes, then count (u16 at offset 0) entries. */
static int table_entry(const ctb_blob_t *blob, const char tag[4], uint32_t head, uint32_t entry,
                       unsigned index, const uint8_t **section, const uint8_t **item, unsigned *count)
{
    const uint8_t *s;
    uint32_t size;
    unsigned n;
    int rc = ctb_section(blob, tag, &s, &size);
    if (rc != CTB_OK)
        return rc;
    if (size < head)
        return CTB_ERR_BOUNDS;
    n = ctb_u16(s);
    if ((uint32_t)n * entry > size - head)
        return CTB_ERR_BOUNDS;
    if (count)
        *count = n;
    if (section)
        *section = s;
    if (index >= n)
        return CTB_ERR_ARG;
    *item = s + head + entry * index;
    return CTB_OK;
}

int ctb_identity(const ctb_blob_t *blob, uint8_t *bit_depth, uint8_t *cfa, uint8_t *levels_from_capture,
                 uint32_t *base_iso, uint32_t *stage_enable, const char **name)
{
    const uint8_t *s;
    uint32_t size;
    int rc = ctb_section(blob, "IDNT", &s, &size);
    if (rc != CTB_OK)
        return rc;
    if (size < 108u || s[12 + 31] != 0)
        return CTB_ERR_BOUNDS;
    *bit_depth = s[0];
    *cfa = s[1];
    *levels_from_capture = s[2];
    *base_iso = ctb_u32(s + 4);
    *stage_enable = ctb_u32(s + 8);
    *name = (const char *)(s + 12);
    return CTB_OK;
}

int ctb_levels(const ctb_blob_t *blob, uint16_t black[4], uint16_t *white)
{
    const uint8_t *s;
    uint32_t size;
    int i, rc = ctb_section(blob, "LEVL", &s, &size);
    if (rc != CTB_OK)
        return rc;
    if (size < 10u)
        return CTB_ERR_BOUNDS;
    for (i = 0; i < 4; i++)
        black[i] = ctb_u16(s + 2 * i);
    *white = ctb_u16(s + 8);
    return CTB_OK;
}

int ctb_awb(const ctb_blob_t *blob, unsigned index, uint16_t *ct, uint16_t *r_over_g, uint16_t *b_over_g,
            unsigned *count)
{
    const uint8_t *e;
    int rc = table_entry(blob, "AWBC", 4u, 6u, index, 0, &e, count);
    if (rc != CTB_OK)
        return rc;
    *ct = ctb_u16(e);
    *r_over_g = ctb_u16(e + 2);
    *b_over_g = ctb_u16(e + 4);
    return CTB_OK;
}

int ctb_ccm(const ctb_blob_t *blob, unsigned index, uint16_t *ct, int16_t m[9], unsigned *count)
{
    const uint8_t *e;
    int i, rc = table_entry(blob, "CCMT", 4u, 20u, index, 0, &e, count);
    if (rc != CTB_OK)
        return rc;
    *ct = ctb_u16(e);
    for (i = 0; i < 9; i++)
        m[i] = ctb_i16(e + 2 + 2 * i);
    return CTB_OK;
}

int ctb_lsc_layout(const ctb_blob_t *blob, uint16_t *cols, uint16_t *rows, uint16_t *count)
{
    const uint8_t *s;
    uint32_t size, per;
    int rc = ctb_section(blob, "LSCT", &s, &size);
    if (rc != CTB_OK)
        return rc;
    if (size < 8u)
        return CTB_ERR_BOUNDS;
    *cols = ctb_u16(s);
    *rows = ctb_u16(s + 2);
    *count = ctb_u16(s + 4);
    per = 4u + 8u * (uint32_t)*cols * (uint32_t)*rows;
    if ((uint64_t)per * *count > size - 8u)
        return CTB_ERR_BOUNDS;
    return CTB_OK;
}

int ctb_lsc_gain(const ctb_blob_t *blob, unsigned index, unsigned channel, unsigned row, unsigned col,
                 uint16_t *ct, uint16_t *gain)
{
    const uint8_t *s, *t;
    uint32_t size, per;
    uint16_t cols, rows, count;
    int rc = ctb_lsc_layout(blob, &cols, &rows, &count);
    if (rc != CTB_OK)
        return rc;
    if (index >= count || channel >= 4u || row >= rows || col >= cols)
        return CTB_ERR_ARG;
    ctb_section(blob, "LSCT", &s, &size);
    per = 4u + 8u * (uint32_t)cols * rows;
    t = s + 8u + per * index;
    *ct = ctb_u16(t);
    *gain = ctb_u16(t + 4u + 2u * (((uint32_t)channel * rows + row) * cols + col));
    return CTB_OK;
}

int ctb_tone(const ctb_blob_t *blob, unsigned index, uint16_t *in, uint16_t *out, unsigned *count)
{
    const uint8_t *e;
    int rc = table_entry(blob, "TONE", 4u, 4u, index, 0, &e, count);
    if (rc != CTB_OK)
        return rc;
    *in = ctb_u16(e);
    *out = ctb_u16(e + 2);
    return CTB_OK;
}

int ctb_denoise(const ctb_blob_t *blob, unsigned index, uint16_t *gain, uint16_t *luma, uint16_t *chroma,
                uint8_t *luma_radius, uint8_t *chroma_radius, unsigned *count)
{
    const uint8_t *s, *e;
    int rc = table_entry(blob, "DNSE", 4u, 6u, index, &s, &e, count);
    if (rc != CTB_OK)
        return rc;
    *luma_radius = s[2];
    *chroma_radius = s[3];
    *gain = ctb_u16(e);
    *luma = ctb_u16(e + 2);
    *chroma = ctb_u16(e + 4);
    return CTB_OK;
}

int ctb_sharpen(const ctb_blob_t *blob, unsigned index, uint16_t *gain, uint16_t *strength,
                uint16_t *sigma, uint16_t *threshold, uint16_t *limit, unsigned *count)
{
    const uint8_t *s, *e;
    int rc = table_entry(blob, "SHRP", 8u, 4u, index, &s, &e, count);
    if (rc != CTB_OK)
        return rc;
    *sigma = ctb_u16(s + 2);
    *threshold = ctb_u16(s + 4);
    *limit = ctb_u16(s + 6);
    *gain = ctb_u16(e);
    *strength = ctb_u16(e + 2);
    return CTB_OK;
}

int ctb_colour(const ctb_blob_t *blob, uint16_t *saturation, int16_t *hue)
{
    const uint8_t *s;
    uint32_t size;
    int rc = ctb_section(blob, "COLR", &s, &size);
    if (rc != CTB_OK)
        return rc;
    if (size < 4u)
        return CTB_ERR_BOUNDS;
    *saturation = ctb_u16(s);
    *hue = ctb_i16(s + 2);
    return CTB_OK;
}

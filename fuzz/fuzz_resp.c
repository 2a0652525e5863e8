/* libFuzzer: the RESP command parser and the reply reader on any bytes.
 * The input is parsed whole and again in small pieces through a compacting
 * window (the first byte picks the piece size and the flags); both ways must
 * give the same commands and end the same way (need more, or the same error
 * at the same offset). Every argument view lies inside the input or the
 * parser's scratch; the reply reader walks values until it stops. */
#define EMBER_PERSIST_IMPLEMENTATION
#include "ember_persist.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct run {
    uint64_t hash;
    size_t count;
    ep_result end;
    uint64_t err_off;
} run;

static uint64_t mix(uint64_t h, const uint8_t *p, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
    return (h ^ n) * 0x100000001b3ull;
}

static void parse(const uint8_t *data, size_t size, uint32_t flags, size_t piece, run *out) {
    ep_resp_parser_config cfg;
    ep_resp_parser *p;
    uint8_t *win = (uint8_t *)malloc(size + 1);
    size_t have = 0, fed = 0;
    ep_resp_parser_config_init(&cfg);
    cfg.flags = flags;
    cfg.max_bulk = 1u << 20;
    cfg.max_inline = 4096;
    memset(out, 0, sizeof *out);
    out->hash = 1469598103934665603ull;
    if (!win || ep_resp_parser_create(&cfg, &p) != EP_OK) abort();
    for (;;) {
        ep_resp_command c;
        ep_result r = ep_resp_parse_command(p, win, have, &c);
        if (r == EP_OK) {
            size_t i;
            if (c.argc == 0 || c.consumed == 0 || c.consumed > have) abort();
            for (i = 0; i < c.argc; i++) out->hash = mix(out->hash, c.argv[i].data, c.argv[i].len);
            out->count++;
        } else if (r == EP_END) {
            if (c.consumed > have || c.need <= have - c.consumed) abort();
        } else {
            out->end = r;
            out->err_off = ep_resp_parser_error(p)->offset;
            break;
        }
        memmove(win, win + c.consumed, have - c.consumed);
        have -= c.consumed;
        if (r == EP_END) {
            size_t step = piece ? piece : size - fed;
            if (fed == size) {
                out->end = EP_END;
                out->err_off = ep_resp_parser_offset(p);
                break;
            }
            if (step > size - fed) step = size - fed;
            memcpy(win + have, data + fed, step);
            have += step;
            fed += step;
        }
    }
    ep_resp_parser_free(p);
    free(win);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    run a, b;
    uint32_t flags;
    size_t piece, off = 0;
    if (size == 0) return 0;
    flags = data[0] & 3u;
    piece = 1 + (data[0] >> 2);
    data++;
    size--;
    parse(data, size, flags, 0, &a);
    parse(data, size, flags, piece, &b);
    if (a.hash != b.hash || a.count != b.count || a.end != b.end || a.err_off != b.err_off) abort();
    while (off < size) {
        ep_resp_value v;
        size_t used = 0;
        ep_result r = ep_resp_read_value(data + off, size - off, 1u << 20, &v, &used, NULL);
        if (r != EP_OK) break;
        if (used == 0 || used > size - off) abort();
        if (v.str.len && (v.str.data < data + off || v.str.data + v.str.len > data + off + used)) abort();
        off += used;
    }
    return 0;
}

/* JSON output: byte strings (UTF-8 passed through, other bytes \u00XX, or
 * base64), and numbers that JSON cannot spell as strings. */
#include "cli.h"

#include <string.h>

/* Length of the valid UTF-8 sequence starting at p (1-4), or 0. */
static size_t utf8_seq(const uint8_t *p, size_t left) {
    size_t n;
    if (p[0] < 0x80) return 1;
    if (p[0] >= 0xc2 && p[0] <= 0xdf) n = 2;
    else if (p[0] >= 0xe0 && p[0] <= 0xef) n = 3;
    else if (p[0] >= 0xf0 && p[0] <= 0xf4) n = 4;
    else return 0;
    return n <= left && ep_utf8_valid(p, n) ? n : 0;
}

static void base64(FILE *out, const uint8_t *p, size_t n) {
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i;
    fputc('"', out);
    for (i = 0; i + 3 <= n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
        fputc(tab[v >> 18], out);
        fputc(tab[(v >> 12) & 63], out);
        fputc(tab[(v >> 6) & 63], out);
        fputc(tab[v & 63], out);
    }
    if (n - i == 1) {
        unsigned v = (unsigned)p[i] << 16;
        fputc(tab[v >> 18], out);
        fputc(tab[(v >> 12) & 63], out);
        fputs("==", out);
    } else if (n - i == 2) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;
        fputc(tab[v >> 18], out);
        fputc(tab[(v >> 12) & 63], out);
        fputc(tab[(v >> 6) & 63], out);
        fputc('=', out);
    }
    fputc('"', out);
}

void cli_json_bytes(FILE *out, const uint8_t *p, size_t n, int b64) {
    size_t i = 0;
    if (b64) {
        base64(out, p, n);
        return;
    }
    fputc('"', out);
    while (i < n) {
        size_t s = utf8_seq(p + i, n - i);
        uint8_t c = p[i];
        if (c == '"' || c == '\\') {
            fputc('\\', out);
            fputc(c, out);
            i++;
        } else if (s > 1) {
            fwrite(p + i, 1, s, out);
            i += s;
        } else if (s == 1 && c >= 0x20 && c != 0x7f) {
            fputc(c, out);
            i++;
        } else {
            fprintf(out, "\\u%04x", (unsigned)c);
            i++;
        }
    }
    fputc('"', out);
}

void cli_json_str(FILE *out, const char *s) {
    cli_json_bytes(out, (const uint8_t *)s, strlen(s), 0);
}

void cli_json_f64(FILE *out, double v) {
    if (v != v) fputs("\"NaN\"", out);
    else if (v > 1.7976931348623157e308) fputs("\"Infinity\"", out);
    else if (v < -1.7976931348623157e308) fputs("\"-Infinity\"", out);
    else fprintf(out, "%.17g", v);
}

void cli_json_f32(FILE *out, float v) {
    if (v != v || v > 3.4028235e38f || v < -3.4028235e38f) cli_json_f64(out, (double)v);
    else fprintf(out, "%.9g", (double)v);
}

/* codec_trailer: byte-exact vectors (built by an independent Python script
 * with zlib's CRC), round trips, and damage: every cut is an error, appended
 * bytes are reported as extra and change nothing, every flipped bit either
 * errors or leaves the coverage exactly as written (the other slot), and an
 * update of slot 1 torn at any byte reads as the old or the new coverage. */
#include "ember_persist.h"
#include "harness.h"

#include <stdlib.h>

/* head(2, [("a.B", "\x0a\x01x")]) + slot(1234, 0x1122334455667788) * 2 */
static const uint8_t v2[67] = "\x45\x50\x54\x52\x02\x01\x00\x00\x00\x03\x00\x00\x00\x61\x2e\x42\x03\x00\x00\x00"
                              "\x0a\x01\x78\x8c\x08\x63\xbe\xd2\x04\x00\x00\x00\x00\x00\x00\x88\x77\x66\x55"
                              "\x44\x33\x22\x11\x82\x00\xd5\x0d\xd2\x04\x00\x00\x00\x00\x00\x00\x88\x77\x66"
                              "\x55\x44\x33\x22\x11\x82\x00\xd5\x0d";
/* head(1, []) + slot(77, 0xdeadbeefcafef00d): what 0.1.0 wrote */
static const uint8_t v1[33] = "\x45\x50\x54\x52\x01\x00\x00\x00\x00\xc8\xec\x96\x8c\x4d\x00\x00\x00\x00\x00\x00"
                              "\x00\x0d\xf0\xfe\xca\xef\xbe\xad\xde\xee\xe7\xd7\x83";

static ep_trailer_schema one_schema(void) {
    ep_trailer_schema s;
    s.name = EP_LIT("a.B");
    s.descriptor = ep_bytes_of("\x0a\x01x", 3);
    return s;
}

EPT_CASE(encode_is_byte_exact) {
    ep_buf b;
    ep_trailer_schema s = one_schema();
    ep_buf_init(&b, NULL);
    EPT_CHECK_OK(ep_trailer_encode(&b, &s, 1, 1234, 0x1122334455667788ull));
    EPT_CHECK_EQ(b.len, sizeof v2);
    EPT_CHECK_MEM(b.data, v2, sizeof v2);
    ep_buf_free(&b);
}

EPT_CASE(decode_v2_and_walk_the_schemas) {
    ep_trailer_info t;
    size_t pos = 0;
    ep_bytes n, d;
    EPT_CHECK_OK(ep_trailer_decode(v2, sizeof v2, &t));
    EPT_CHECK_EQ(t.version, 2);
    EPT_CHECK(t.covered_valid);
    EPT_CHECK(t.covered_len == 1234 && t.covered_hash == 0x1122334455667788ull);
    EPT_CHECK_EQ(t.hash_from, EP_TRAILER_V2_HASH_FROM);
    EPT_CHECK_EQ(t.slots_valid, 3);
    EPT_CHECK_EQ(t.slot_offset[0], 27);
    EPT_CHECK_EQ(t.slot_offset[1], 47);
    EPT_CHECK_EQ(t.length, sizeof v2);
    EPT_CHECK_EQ(t.extra, 0);
    EPT_CHECK_EQ(t.schema_count, 1);
    EPT_CHECK(ep_trailer_schema_next(&t, &pos, &n, &d));
    EPT_CHECK(n.len == 3 && memcmp(n.data, "a.B", 3) == 0);
    EPT_CHECK(d.len == 3 && memcmp(d.data, "\x0a\x01x", 3) == 0);
    EPT_CHECK(!ep_trailer_schema_next(&t, &pos, &n, &d));
}

EPT_CASE(decode_v1_as_0_1_0_wrote_it) {
    ep_trailer_info t;
    EPT_CHECK_OK(ep_trailer_decode(v1, sizeof v1, &t));
    EPT_CHECK_EQ(t.version, 1);
    EPT_CHECK(t.covered_valid && t.covered_len == 77 && t.covered_hash == 0xdeadbeefcafef00dull);
    EPT_CHECK_EQ(t.hash_from, 0);
    EPT_CHECK_EQ(t.slots_valid, 1);
    EPT_CHECK_EQ(t.length, sizeof v1);
    EPT_CHECK_EQ(t.schema_count, 0);
}

EPT_CASE(round_trips_with_many_schemas_and_edge_values) {
    ep_trailer_schema s[40];
    char names[40][8];
    uint8_t desc[300];
    uint64_t lens[] = {0, 5, 6, UINT64_MAX, 1ull << 40};
    size_t i, k;
    for (i = 0; i < sizeof desc; i++) desc[i] = (uint8_t)(255 - i);
    for (i = 0; i < 40; i++) {
        snprintf(names[i], sizeof names[i], "t%u", (unsigned)i);
        s[i].name = ep_bytes_str(names[i]);
        s[i].descriptor = ep_bytes_of(desc, i * 7);
    }
    for (k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        uint32_t n = (uint32_t)(k * 10);
        ep_buf b;
        ep_trailer_info t;
        size_t pos = 0;
        ep_bytes nm, d;
        uint32_t seen = 0;
        ep_buf_init(&b, NULL);
        ep_buf_put(&b, "xx", 2); /* encode appends */
        EPT_CHECK_OK(ep_trailer_encode(&b, s, n, lens[k], ~lens[k]));
        EPT_CHECK_OK(ep_trailer_decode(b.data + 2, b.len - 2, &t));
        EPT_CHECK(t.covered_len == lens[k] && t.covered_hash == ~lens[k] && t.extra == 0);
        EPT_CHECK_EQ(t.schema_count, n);
        while (ep_trailer_schema_next(&t, &pos, &nm, &d)) {
            EPT_CHECK(nm.len == s[seen].name.len && memcmp(nm.data, s[seen].name.data, nm.len) == 0);
            EPT_CHECK(d.len == s[seen].descriptor.len && (!d.len || memcmp(d.data, desc, d.len) == 0));
            seen++;
        }
        EPT_CHECK_EQ(seen, n);
        ep_buf_free(&b);
    }
}

EPT_CASE(encoder_refuses_what_the_decoder_would) {
    ep_buf b;
    ep_trailer_schema s = one_schema();
    ep_buf_init(&b, NULL);
    s.name = ep_bytes_of("\xff", 1);
    EPT_CHECK_EQ(ep_trailer_encode(&b, &s, 1, 0, 0), EP_ERR_UTF8);
    EPT_CHECK_EQ(b.len, 0);
    EPT_CHECK_EQ(ep_trailer_encode(&b, NULL, 1, 0, 0), EP_ERR_INVALID_ARG);
    EPT_CHECK_EQ(ep_trailer_decode(NULL, 1, NULL), EP_ERR_INVALID_ARG);
    ep_buf_free(&b);
}

EPT_CASE(every_cut_is_an_error) {
    size_t n;
    ep_trailer_info t;
    for (n = 0; n < sizeof v2; n++) EPT_CHECK(ep_trailer_decode(v2, n, &t) != EP_OK);
    for (n = 0; n < sizeof v1; n++) EPT_CHECK(ep_trailer_decode(v1, n, &t) != EP_OK);
}

EPT_CASE(appended_bytes_are_extra_and_change_nothing) {
    uint8_t buf[sizeof v2 + 64];
    size_t n;
    ep_trailer_info t;
    memcpy(buf, v2, sizeof v2);
    for (n = 0; n < 64; n++) buf[sizeof v2 + n] = (uint8_t)(n * 13 + 1);
    for (n = 0; n <= 64; n++) {
        EPT_CHECK_OK(ep_trailer_decode(buf, sizeof v2 + n, &t));
        EPT_CHECK(t.covered_len == 1234 && t.covered_hash == 0x1122334455667788ull);
        EPT_CHECK_EQ(t.length, sizeof v2);
        EPT_CHECK_EQ(t.extra, n);
    }
    memcpy(buf, v1, sizeof v1);
    EPT_CHECK_OK(ep_trailer_decode(buf, sizeof v1 + 8, &t));
    EPT_CHECK(t.covered_len == 77 && t.extra == 8);
}

/* A flipped bit never yields another coverage: an error, or the same one
 * (from the other slot), or (a flip in a slot of v1) no coverage. */
EPT_CASE(every_flipped_bit_errors_or_keeps_the_coverage) {
    uint8_t buf[sizeof v2];
    size_t i;
    int bit, same = 0, errors = 0;
    for (i = 0; i < sizeof v2; i++) {
        for (bit = 0; bit < 8; bit++) {
            ep_trailer_info t;
            memcpy(buf, v2, sizeof v2);
            buf[i] ^= (uint8_t)(1u << bit);
            if (ep_trailer_decode(buf, sizeof buf, &t) != EP_OK) {
                errors++;
                continue;
            }
            EPT_CHECK(i >= 27); /* a head flip always errors */
            EPT_CHECK(t.covered_valid && t.covered_len == 1234 && t.covered_hash == 0x1122334455667788ull);
            EPT_CHECK_EQ(t.slots_valid, i < 47 ? 2u : 1u);
            same++;
        }
    }
    EPT_CHECK_EQ(errors, 27 * 8);
    EPT_CHECK_EQ(same, 40 * 8);
    for (i = 0; i < sizeof v1; i++) {
        ep_trailer_info t;
        memcpy(buf, v1, sizeof v1);
        buf[i] ^= 0x10;
        if (ep_trailer_decode(buf, sizeof v1, &t) != EP_OK) continue;
        EPT_CHECK(i >= 13 && !t.covered_valid && t.covered_len == 0);
    }
}

/* ep_shard_rewrite's in-place update of slot 1, torn after any byte. */
EPT_CASE(a_torn_slot_update_reads_as_old_or_new) {
    uint8_t buf[sizeof v2], slot[EP_TRAILER_SLOT_SIZE];
    size_t cut;
    ep_trailer_slot_encode(slot, 0, ep_phash_of(NULL, 0));
    for (cut = 0; cut <= sizeof slot; cut++) {
        ep_trailer_info t;
        memcpy(buf, v2, sizeof v2);
        memcpy(buf + 47, slot, cut);
        EPT_CHECK_OK(ep_trailer_decode(buf, sizeof buf, &t));
        EPT_CHECK(t.covered_valid);
        if (cut == sizeof slot) EPT_CHECK(t.covered_len == 0 && t.covered_hash == ep_phash_of(NULL, 0));
        else EPT_CHECK(t.covered_len == 1234 && t.covered_hash == 0x1122334455667788ull);
    }
}

EPT_MAIN()

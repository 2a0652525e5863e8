/* examples/embedded_store.c run on the host: the no-OS build (EP_NO_OS_VFS,
 * EP_NO_ENCRYPTION, every allocation from its static arena, malloc refused)
 * over its RAM-region storage, through reboots, power cuts at every byte of
 * the AOF (short and erased-flash tails) and compaction. The example is
 * included whole (EMBEDDED_NO_MAIN): its implementation is static, so it
 * does not meet the one the test programs link. */
#define EMBEDDED_NO_MAIN
#include "../../examples/embedded_store.c"
#include "harness.h"

EPT_CASE(demo_reboots_count_and_compact_without_heap) {
    EPT_CHECK_EQ(embedded_demo(20, 30), 0);
    EPT_CHECK(slot_find(&flash, "/fs/shard-0.snap") != NULL); /* compaction ran */
    EPT_CHECK_EQ(embedded_heap_calls(), 0);
    EPT_CHECK(arena_high_water > 0 && arena_high_water < ARENA_SIZE);
    printf("    arena high water %lu of %u bytes\n", (unsigned long)arena_high_water, ARENA_SIZE);
}

/* A power cut while the AOF slot was being programmed: its tail is short,
 * or erased (0xFF) past the cut. Every cut boots, keeps a value that was
 * written (in order), and takes new writes that survive the next boot. */
EPT_CASE(power_cut_at_every_byte_of_the_aof) {
    static device d;
    static region saved;
    slot *s;
    uint32_t size, cut;
    int erased, i, cuts = 0;
    arena_reset();
    memset(&flash, 0, sizeof flash);
    EPT_CHECK_OK(device_boot(&d));
    for (i = 0; i < 12; i++) {
        char v[8];
        snprintf(v, sizeof v, "r%d", i);
        EPT_CHECK_OK(device_set(&d, "last_reading", v));
    }
    device_halt(&d);
    saved = flash;
    s = slot_find(&saved, "/fs/shard-0.aof");
    EPT_CHECK(s != NULL);
    size = s->size;
    for (erased = 0; erased < 2; erased++) {
        for (cut = 5; cut <= size && !ept_failed(); cut++) {
            const char *got;
            flash = saved;
            s = slot_find(&flash, "/fs/shard-0.aof");
            if (erased) memset(s->data + cut, 0xff, size - cut);
            else s->size = cut;
            EPT_CHECK_OK(device_boot(&d));
            got = device_get(&d, "last_reading");
            EPT_CHECK(got == NULL || (got[0] == 'r' && atoi(got + 1) < 12));
            EPT_CHECK_OK(device_set(&d, "last_reading", "after"));
            device_halt(&d);
            EPT_CHECK_OK(device_boot(&d));
            EPT_CHECK(device_get(&d, "last_reading") != NULL && strcmp(device_get(&d, "last_reading"), "after") == 0);
            device_halt(&d);
            EPT_CHECK_EQ(arena_in_use, 0);
            cuts++;
        }
    }
    EPT_CHECK_EQ(embedded_heap_calls(), 0);
    printf("    %d cuts over a %u-byte AOF, short and erased tails\n", cuts, (unsigned)size);
}

/* Too little arena: calls fail with EP_ERR_NOMEM, nothing crashes, and
 * nothing falls back to the heap. */
EPT_CASE(arena_too_small_is_nomem_not_heap) {
    static device d;
    ep_result r;
    arena_reset();
    memset(&flash, 0, sizeof flash);
    ((arena_block *)(void *)arena.bytes)->size = 64; /* pretend the arena is 64 bytes */
    ((arena_block *)(void *)arena.bytes)->used = 0;
    {
        arena_block *rest = arena_next((arena_block *)(void *)arena.bytes);
        rest->size = ARENA_SIZE - 2 * HDR - 64;
        rest->used = 1; /* held elsewhere */
    }
    r = device_boot(&d);
    EPT_CHECK_EQ(r, EP_ERR_NOMEM);
    EPT_CHECK_EQ(embedded_heap_calls(), 0);
}

EPT_MAIN()

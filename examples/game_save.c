/* A game's save file on ep_store: each turn changes a few values, and the
 * end of a turn is a save point (ep_store_sync: durable from then on). A
 * crash between save points loses at most the turn in progress, never a
 * saved one, and never applies one twice.
 *
 *   game_save DIR play N     play N turns, saving after each
 *   game_save DIR crash N    play N turns, then die without closing (as a crash would)
 *   game_save DIR show       print the saved state
 *   game_save DIR compact    rewrite the log into a snapshot
 *
 * Exit code 0 on success, 1 on an error (printed). */
#include "ember_persist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what, ep_store *st, ep_result r) {
    fprintf(stderr, "%s: %s (%s)\n", what, ep_result_str(r), st ? ep_store_error(st)->message : "");
    return 1;
}

/* One turn: level up, some gold, an item, the player's hit points. */
static ep_result play_turn(ep_store *st) {
    int64_t level;
    char item[32], hp[24];
    ep_bytes it, field = EP_LIT("hp"), hpv;
    ep_result r;
    if ((r = ep_store_incr(st, EP_LIT("level"), &level)) != EP_OK) return r;
    if ((r = ep_store_incrby(st, EP_LIT("gold"), 7, NULL)) != EP_OK) return r;
    snprintf(item, sizeof item, "item-%lld", (long long)level);
    it = ep_bytes_str(item);
    if ((r = ep_store_rpush(st, EP_LIT("inventory"), &it, 1, NULL)) != EP_OK) return r;
    snprintf(hp, sizeof hp, "%lld", (long long)(100 - level));
    hpv = ep_bytes_str(hp);
    if ((r = ep_store_hset(st, EP_LIT("player"), &field, &hpv, 1, NULL)) != EP_OK) return r;
    return ep_store_sync(st); /* the save point */
}

static long long number(ep_store *st, const char *key) {
    ep_bytes v;
    int64_t n = 0;
    if (ep_store_get(st, ep_bytes_str(key), &v) == EP_OK) ep_parse_i64(v.data, v.len, &n);
    return (long long)n;
}

static void show(ep_store *st) {
    size_t items = 0;
    ep_bytes last = EP_LIT("-"), hp = EP_LIT("-");
    ep_store_llen(st, EP_LIT("inventory"), &items);
    ep_store_lindex(st, EP_LIT("inventory"), -1, &last);
    ep_store_hget(st, EP_LIT("player"), EP_LIT("hp"), &hp);
    printf("level=%lld gold=%lld items=%lu last=%.*s hp=%.*s\n", number(st, "level"), number(st, "gold"),
           (unsigned long)items, (int)last.len, (const char *)last.data, (int)hp.len, (const char *)hp.data);
}

int main(int argc, char **argv) {
    ep_store_config cfg;
    ep_store *st;
    ep_error err;
    ep_result r;
    int i, turns = argc > 3 ? atoi(argv[3]) : 1;
    if (argc < 3) {
        fprintf(stderr, "usage: %s DIR play N | crash N | show | compact\n", argv[0]);
        return 2;
    }
    ep_store_config_init(&cfg);
    cfg.create_dir = 1;
    cfg.error_out = &err;
    if ((r = ep_store_open(argv[1], 0, &cfg, &st)) != EP_OK) {
        fprintf(stderr, "open %s: %s\n", argv[1], err.message);
        return 1;
    }
    if (strcmp(argv[2], "play") == 0 || strcmp(argv[2], "crash") == 0) {
        for (i = 0; i < turns; i++)
            if ((r = play_turn(st)) != EP_OK) return fail("turn", st, r);
        if (argv[2][0] == 'c') {
            printf("crashing after %d saved turns\n", turns);
            fflush(stdout);
            exit(3); /* no close, as a crash: what was synced must be enough */
        }
    } else if (strcmp(argv[2], "compact") == 0) {
        if ((r = ep_store_rewrite(st)) != EP_OK) return fail("compact", st, r);
    } else if (strcmp(argv[2], "show") != 0) {
        fprintf(stderr, "unknown command %s\n", argv[2]);
        ep_store_close(st);
        return 2;
    }
    show(st);
    if ((r = ep_store_close(st)) != EP_OK) return fail("close", NULL, r);
    return 0;
}

/* Where log records go. The program owns every descriptor number: it may close ours and reuse the
 * number for its own file at any moment, so a descriptor is checked to still be ours (same device
 * and inode) before each write, and reopened when it is not. */
#ifndef ER_SINK_H
#define ER_SINK_H

#include <stddef.h>

#include "config.h"

/* The kernel refuses /dev/kmsg writes over 1024 bytes; records for it are formatted to fit. */
#define ER_KMSG_RECORD_MAX 1000

/* The largest record this sink takes whole. */
size_t er_sink_record_max(void) __attribute__((visibility("hidden")));

void er_sink_setup(const struct er_settings *s) __attribute__((visibility("hidden")));

/* Writes one whole record with one write(2); drops it if the destination is gone. Keeps errno. */
void er_sink_write(const char *record, size_t len) __attribute__((visibility("hidden")));

/* Around every close of a descriptor by the program (close, close_range, closefrom, dup2, dup3):
 * waits for records being written, and holds new ones back until the close is done. */
void er_sink_close_begin(void) __attribute__((visibility("hidden")));
void er_sink_close_end(void) __attribute__((visibility("hidden")));

#endif

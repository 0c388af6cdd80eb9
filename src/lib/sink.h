/* Where log records go. The program owns every descriptor number, so the library holds none between
 * two calls: a record to a file, the kernel log, syslog or the journal opens, writes once and
 * closes; under the earlyrandom command a record to its log goes into the command's shared-memory
 * ring instead. */
#ifndef ER_SINK_H
#define ER_SINK_H

#include <stddef.h>

#include "config.h"

/* The kernel refuses /dev/kmsg writes over 1024 bytes; records for it are formatted to fit. */
#define ER_KMSG_RECORD_MAX 1000

/* The largest record this sink takes whole. */
size_t er_sink_record_max(void) __attribute__((visibility("hidden")));

/* ring_variable: where the earlyrandom command's ring is (EARLYRANDOM_RING), or NULL;
 * journal_socket_variable: EARLYRANDOM_JOURNAL_SOCKET, or NULL for journald's own socket. */
void er_sink_setup(const struct er_settings *s, const char *ring_variable,
                   const char *journal_socket_variable)
    __attribute__((visibility("hidden")));

/* In a fork child: no thread of the parent is writing or closing there. */
void er_sink_forget_in_child(void) __attribute__((visibility("hidden")));

/* Hands over one whole record (one write(2), or one ring slot); drops it if the destination is
 * gone. Keeps errno. */
void er_sink_write(const char *record, size_t len) __attribute__((visibility("hidden")));

/* Around every close of a descriptor by the program (close, close_range, closefrom, dup2, dup3):
 * waits for records being written, and holds new ones back until the close is done. */
void er_sink_close_begin(void) __attribute__((visibility("hidden")));
void er_sink_close_end(void) __attribute__((visibility("hidden")));

#endif

/* What the hooks of the device family (open, read, stdio) share: recognising /dev/random and
 * /dev/urandom behind a descriptor, and describing requests on them. */
#ifndef ER_DEVICES_H
#define ER_DEVICES_H

#include <stdbool.h>
#include <stdio.h>

#include "shim.h"

/* After an open-like call returned fd: when it is one of the devices, remembers it and logs the
 * open (before init, or always with EARLYRANDOM_LOG_ALL). flags_text describes how it was opened.
 * Keeps errno. */
void er_device_opened(const char *api, int fd, const char *flags_text, const void *caller)
    __attribute__((visibility("hidden")));
void er_device_opened_flags(const char *api, int fd, int open_flags, const void *caller)
    __attribute__((visibility("hidden")));

/* Fills q for a read of len bytes from fd and returns true when fd is one of the devices; false
 * means "not ours", and the hook just calls the real function. Keeps errno. */
bool er_device_read_request(struct er_request *q, const char *api, int fd, size_t len,
                            const void *caller) __attribute__((visibility("hidden")));

#endif

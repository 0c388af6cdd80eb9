#include "pool.h"

#include <elf.h>
#include <link.h>
#include <string.h>
#include <sys/auxv.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "duration.h"
#include "policy.h"
#include "rawsys.h"

/* glibc's exported aliases, so that the library's own I/O never goes through its hooks. */
extern ssize_t __read(int, void *, size_t);
extern int __close(int);

static int64_t init_at_ns = ER_DURATION_NEVER; /* CLOCK_BOOTTIME; NEVER without a time; atomic */
static const char *ready_file;                 /* NULL without a ready file */
static int initialized;                        /* latched, read atomically */
static bool init_on_jitter;                    /* the first wait sets init_at_ns */
static bool has_blocking_pool;                 /* a kernel before 5.6 */
static uint32_t entropy_rate;                  /* bits per second */
/* The blocking pool's estimate (er_estimate_holds_at): one atomic word, so draws need no lock. */
static int64_t empty_at_ns;

static int64_t load_init_at(void) { return __atomic_load_n(&init_at_ns, __ATOMIC_ACQUIRE); }

/* CLOCK_BOOTTIME straight from the kernel's vDSO, found in its ELF symbol table: no system call,
 * no dlsym (which takes the loader's lock and may allocate), and immune to interposers such as
 * libfaketime, which would arm the timer for another time. Without it, the system call. */
typedef int (*clock_fn)(clockid_t, struct timespec *);
static clock_fn vdso_clock;
static int vdso_looked_up;

#if defined(__x86_64__) || defined(__i386__)
#define VDSO_CLOCK_GETTIME "__vdso_clock_gettime"
#elif defined(__aarch64__)
#define VDSO_CLOCK_GETTIME "__kernel_clock_gettime"
#endif

static clock_fn find_vdso_clock(void)
{
#ifdef VDSO_CLOCK_GETTIME
    uintptr_t base = (uintptr_t)getauxval(AT_SYSINFO_EHDR);
    if (base == 0)
        return NULL;
    const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)base;
    const ElfW(Phdr) *ph = (const ElfW(Phdr) *)(base + eh->e_phoff);
    const ElfW(Dyn) *dyn = NULL;
    uintptr_t bias = 0;
    bool have_load = false;
    for (int i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type == PT_LOAD && !have_load) {
            bias = base + ph[i].p_offset - ph[i].p_vaddr;
            have_load = true;
        } else if (ph[i].p_type == PT_DYNAMIC) {
            dyn = (const ElfW(Dyn) *)(base + ph[i].p_offset);
        }
    }
    if (dyn == NULL || !have_load)
        return NULL;
    const ElfW(Sym) *symtab = NULL;
    const char *strtab = NULL;
    const ElfW(Word) *hash = NULL;
    for (; dyn->d_tag != DT_NULL; dyn++) {
        if (dyn->d_tag == DT_SYMTAB)
            symtab = (const ElfW(Sym) *)(dyn->d_un.d_ptr + bias);
        else if (dyn->d_tag == DT_STRTAB)
            strtab = (const char *)(dyn->d_un.d_ptr + bias);
        else if (dyn->d_tag == DT_HASH)
            hash = (const ElfW(Word) *)(dyn->d_un.d_ptr + bias);
    }
    if (symtab == NULL || strtab == NULL || hash == NULL)
        return NULL;
    for (ElfW(Word) i = 0; i < hash[1]; i++) { /* hash[1]: the number of symbols */
        const ElfW(Sym) *sym = &symtab[i];
        if (ELF64_ST_TYPE(sym->st_info) == STT_FUNC && sym->st_shndx != SHN_UNDEF &&
            strcmp(strtab + sym->st_name, VDSO_CLOCK_GETTIME) == 0)
            return (clock_fn)(sym->st_value + bias);
    }
#endif
    return NULL;
}

int64_t er_boottime_ns(void)
{
    if (!__atomic_load_n(&vdso_looked_up, __ATOMIC_ACQUIRE)) {
        /* Threads racing here find the same address: a plain store of it is enough. */
        __atomic_store_n(&vdso_clock, find_vdso_clock(), __ATOMIC_RELAXED);
        __atomic_store_n(&vdso_looked_up, 1, __ATOMIC_RELEASE);
    }
    struct timespec ts;
    clock_fn clock = __atomic_load_n(&vdso_clock, __ATOMIC_RELAXED);
    if (clock == NULL || clock(CLOCK_BOOTTIME, &ts) != 0)
        er_raw_syscall3(SYS_clock_gettime, CLOCK_BOOTTIME, (long)&ts, 0);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void er_pool_setup(const struct er_settings *s, int64_t load_ns)
{
    ready_file = s->has_ready_file ? s->ready_file : NULL;
    int64_t epoch = s->epoch_kind == ER_EPOCH_PROCESS ? load_ns
                  : s->epoch_kind == ER_EPOCH_BOOT    ? 0
                                                      : s->epoch_instant_ns;
    has_blocking_pool = er_kernel_has_blocking_pool(s->kernel);
    entropy_rate = s->entropy_rate;
    empty_at_ns = epoch;
    init_on_jitter = s->init_after_ns == ER_INIT_JITTER;
    if (s->init_after_ns == ER_DURATION_NEVER || init_on_jitter) {
        init_at_ns = ER_DURATION_NEVER;
        return;
    }
    /* Both terms are capped far below INT64_MAX / 2 by their parsers, so the sum cannot overflow. */
    init_at_ns = epoch + s->init_after_ns;
}

static bool ready_file_exists(void)
{
    int saved = errno;
    bool exists = access(ready_file, F_OK) == 0;
    errno = saved;
    return exists;
}

bool er_pool_initialized_by_clock(void)
{
    if (__atomic_load_n(&initialized, __ATOMIC_ACQUIRE))
        return true;
    int64_t at = load_init_at();
    if (at == ER_DURATION_NEVER || er_boottime_ns() < at)
        return false;
    __atomic_store_n(&initialized, 1, __ATOMIC_RELEASE);
    return true;
}

bool er_pool_initialized(void)
{
    if (er_pool_initialized_by_clock())
        return true;
    if (ready_file == NULL || !ready_file_exists())
        return false;
    __atomic_store_n(&initialized, 1, __ATOMIC_RELEASE);
    return true;
}

/* Arms tfd for the CLOCK_BOOTTIME instant deadline; ER_DURATION_NEVER disarms it, so that a pool
 * that never initializes sleeps until a signal (a zero it_value would disarm it too, hence 1 ns). */
static void arm_timer(int tfd, int64_t deadline)
{
    struct itimerspec its = { { 0, 0 }, { 0, 0 } };
    if (deadline != ER_DURATION_NEVER) {
        its.it_value.tv_sec = deadline / 1000000000;
        its.it_value.tv_nsec = deadline % 1000000000;
        if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
            its.it_value.tv_nsec = 1;
    }
    er_raw_syscall6(SYS_timerfd_settime, tfd, TFD_TIMER_ABSTIME, (long)&its, 0, 0, 0);
}

static int64_t min_deadline(int64_t a, int64_t b)
{
    if (a == ER_DURATION_NEVER)
        return b;
    if (b == ER_DURATION_NEVER)
        return a;
    return a < b ? a : b;
}


int64_t er_pool_next_change_ns(void)
{
    if (ready_file != NULL)
        return min_deadline(load_init_at(), er_boottime_ns() + ER_READY_FILE_POLL_NS);
    return load_init_at();
}

/* The moment the estimate holds bits, as things stand now. */
static int64_t holds_at(int64_t now, uint64_t bits)
{
    return er_estimate_holds_at(__atomic_load_n(&empty_at_ns, __ATOMIC_ACQUIRE), now, bits,
                                entropy_rate);
}

bool er_pool_entropy_short(uint64_t bits)
{
    int64_t now = er_boottime_ns();
    int64_t at = holds_at(now, bits);
    return at == ER_ESTIMATE_NEVER || at > now;
}

bool er_pool_random_readable(void)
{
    return has_blocking_pool ? !er_pool_entropy_short(ER_POOL_WAKEUP_BITS) : er_pool_initialized();
}

int64_t er_pool_random_next_change_ns(void)
{
    if (!has_blocking_pool)
        return er_pool_next_change_ns();
    return holds_at(er_boottime_ns(), ER_POOL_WAKEUP_BITS);
}

/* A signal that reaches a waiting thread between two of its sleeps (while it looks at the ready
 * file, arms its timer, logs the hang) would run its handler without ending the wait, where the
 * kernel's wait ends with EINTR. So between sleeps the signals the program handles are blocked,
 * and found pending before the next sleep. Signals left at their default action stay unblocked:
 * they kill or stop the program there as they would in the kernel's wait; so do the ones a fault
 * raises, and glibc's own two (cancellation, set*id), which must never wait on a library. */
struct signal_guard {
    uint64_t handled;    /* blocked between sleeps */
    uint64_t restarting; /* those of them whose handler asks for SA_RESTART */
    uint64_t program;    /* the thread's mask when the wait began */
};

#define SIGNAL_BIT(sig) (1ULL << ((sig) - 1))
#define SIGSET_BYTES (_NSIG / 8)

static bool raised_by_faults(int sig)
{
    return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL || sig == SIGTRAP ||
           sig == SIGSYS;
}

/* Whether the program handles sig, and then its flags; glibc's internal signals fail with EINVAL
 * here, and so count as not handled. */
static bool handled_by_program(int sig, int *flags)
{
    struct sigaction sa;
    if (sigaction(sig, NULL, &sa) != 0 || sa.sa_handler == SIG_DFL || sa.sa_handler == SIG_IGN)
        return false;
    *flags = sa.sa_flags;
    return true;
}

static uint64_t signals_with_handlers(uint64_t *restarting)
{
    uint64_t set = 0;
    int flags;
    *restarting = 0;
    for (int sig = 1; sig < _NSIG && sig <= 64; sig++)
        if (sig != SIGKILL && sig != SIGSTOP && !raised_by_faults(sig) &&
            handled_by_program(sig, &flags)) {
            set |= SIGNAL_BIT(sig);
            if (flags & SA_RESTART)
                *restarting |= SIGNAL_BIT(sig);
        }
    return set;
}

static void set_signal_mask(int how, const uint64_t *set, uint64_t *old)
{
    er_raw_syscall6(SYS_rt_sigprocmask, how, (long)set, (long)old, SIGSET_BYTES, 0, 0);
}

static void guard_begin(struct signal_guard *g)
{
    g->handled = signals_with_handlers(&g->restarting);
    set_signal_mask(SIG_BLOCK, &g->handled, &g->program);
}

static void guard_end(const struct signal_guard *g) { set_signal_mask(SIG_SETMASK, &g->program, NULL); }

/* The kernel restarts a wait a handler interrupted only if every handler that ran asked for it. */
static bool all_ask_restart(uint64_t signals)
{
    int flags;
    for (int sig = 1; sig <= 64; sig++)
        if ((signals & SIGNAL_BIT(sig)) && handled_by_program(sig, &flags) && !(flags & SA_RESTART))
            return false;
    return true;
}

enum sleep_end {
    SLEEP_TIMER,       /* the timer fired */
    SLEEP_INTERRUPTED, /* a handler without SA_RESTART ran: the kernel's EINTR */
    SLEEP_RESUMED,     /* handlers with SA_RESTART ran before the sleep: wait on */
    SLEEP_BROKEN,      /* the descriptor is no timer any more: closed where no hook saw it */
};

/* When no handler the program's mask lets through asks for SA_RESTART, any handler that runs
 * ends the wait with EINTR: ppoll takes the program's mask and sleeps in one step, so a signal
 * that comes just before the sleep cannot run its handler and leave the sleep to go on. (A
 * handler of glibc's own, run when another thread calls setuid, then ends it too: EINTR, which a
 * program with such handlers copes with, rather than a wait that never ends.) */
static enum sleep_end polled_sleep(const struct signal_guard *g, int tfd)
{
    sigset_t program;
    sigemptyset(&program);
    memcpy(&program, &g->program, sizeof g->program); /* signals 1 to 64, in the kernel's order */
    struct pollfd timer = { .fd = tfd, .events = POLLIN };
    int n = ppoll(&timer, 1, NULL, &program);
    if (n < 0 && errno == EINTR)
        return SLEEP_INTERRUPTED;
    if (n > 0 && (timer.revents & POLLNVAL))
        return SLEEP_BROKEN;
    return n > 0 ? SLEEP_TIMER : SLEEP_RESUMED; /* the next arming clears the expiration */
}

/* One sleep on the timer, with the program's own signal mask, in a read that the kernel restarts
 * after an SA_RESTART handler and fails with EINTR after any other. */
static enum sleep_end guarded_sleep(const struct signal_guard *g, int tfd)
{
    uint64_t pending = 0;
    er_raw_syscall6(SYS_rt_sigpending, (long)&pending, SIGSET_BYTES, 0, 0, 0, 0);
    pending &= g->handled & ~g->program;
    if (pending != 0) {
        bool restart = all_ask_restart(pending);
        set_signal_mask(SIG_SETMASK, &g->program, NULL); /* the handlers run here */
        set_signal_mask(SIG_BLOCK, &g->handled, NULL);
        return restart ? SLEEP_RESUMED : SLEEP_INTERRUPTED;
    }
    uint64_t deliverable = g->handled & ~g->program;
    if (deliverable != 0 && (deliverable & g->restarting) == 0)
        return polled_sleep(g, tfd);
    /* Otherwise the kernel's read decides, per handler; a handler without SA_RESTART that runs
     * between the unblocking and the read is the one case it cannot see. */
    uint64_t expirations;
    set_signal_mask(SIG_SETMASK, &g->program, NULL);
    ssize_t n = __read(tfd, &expirations, sizeof expirations);
    int err = errno;
    set_signal_mask(SIG_BLOCK, &g->handled, NULL);
    if (n < 0 && err == EINTR)
        return SLEEP_INTERRUPTED;
    if (n < 0 && (err == EBADF || err == EINVAL))
        return SLEEP_BROKEN;
    return n < 0 ? SLEEP_RESUMED : SLEEP_TIMER;
}

/* Every wait's timer descriptor is registered in a slot, because the program can see it: a close
 * of its number (close, close_range, closefrom, dup2 and dup3 onto it, through the hooks) first
 * fires the timer, so that its waiter wakes, and then marks it the program's, so that the waiter
 * never uses, nor closes, that number again (another file of the program's may hold it by then)
 * and carries on without one; a fork child closes the timers of its parent's other threads,
 * which nothing in it would ever close. The ready file's poller fires the followers' timers the
 * same way when the pool initializes. A slot holds (descriptor + 1) << 2 and a state. */
#define TIMER_SLOTS 64
enum timer_state {
    TIMER_LIVE = 0,    /* the waiter's */
    TIMER_FIRING = 1,  /* being fired by the poller or a closing thread: a system call's time */
    TIMER_CLOSING = 2, /* the program is closing the number: lost unless the close fails */
    TIMER_LOST = 3,    /* the program closed the number */
};
#define SLOT_VALUE(fd, state) ((((fd) + 1) << 2) | (int)(state))
#define SLOT_FD(v) (((v) >> 2) - 1)
#define SLOT_STATE(v) ((enum timer_state)((v) & 3))
#define SLOT_IN_STATE(v, state) (((v) & ~3) | (int)(state))
static int timer_slots[TIMER_SLOTS];
static int timers_registered;                                             /* slots in use */
static __thread uint64_t slots_here __attribute__((tls_model("initial-exec"))); /* this thread's */

struct wait_timer {
    int fd;   /* -1: none */
    int slot; /* -1: not registered (more waits than slots) */
};

static void fire_now(int tfd)
{
    static const struct itimerspec now = { { 0, 0 }, { 0, 1 } };
    er_raw_syscall6(SYS_timerfd_settime, tfd, TFD_TIMER_ABSTIME, (long)&now, 0, 0, 0);
}

/* Opens the wait's timer (none at the descriptor limit: the wait goes in steps) and registers it. */
static void timer_open(struct wait_timer *t)
{
    t->fd = timerfd_create(CLOCK_BOOTTIME, TFD_CLOEXEC);
    t->slot = -1;
    if (t->fd < 0)
        return;
    /* Counted before it is in a slot: a closing thread that sees no timer counted looks no further. */
    __atomic_add_fetch(&timers_registered, 1, __ATOMIC_SEQ_CST);
    for (int i = 0; i < TIMER_SLOTS; i++) {
        int expected = 0;
        if (__atomic_compare_exchange_n(&timer_slots[i], &expected, SLOT_VALUE(t->fd, TIMER_LIVE), false,
                                        __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
            t->slot = i;
            slots_here |= 1ULL << i;
            return;
        }
    }
    __atomic_sub_fetch(&timers_registered, 1, __ATOMIC_SEQ_CST);
}

/* The slot's value once no other thread is firing its timer or closing its number. */
static int settled_value(int slot)
{
    unsigned turns = 0;
    for (;;) {
        int v = __atomic_load_n(&timer_slots[slot], __ATOMIC_SEQ_CST);
        if (SLOT_STATE(v) != TIMER_FIRING && SLOT_STATE(v) != TIMER_CLOSING)
            return v;
        er_wait_a_turn(&turns);
    }
}

static bool timer_lost(const struct wait_timer *t)
{
    return t->slot >= 0 && SLOT_STATE(settled_value(t->slot)) == TIMER_LOST;
}

/* Whether the number still holds a timer: a close no hook saw (a raw system call) may have given
 * it to a file of the program's, which the library must neither read, arm, nor close. */
static bool still_a_timer(int fd)
{
    struct itimerspec its;
    return er_raw_syscall3(SYS_timerfd_gettime, fd, (long)&its, 0) == 0;
}

/* Frees the slot, once no other thread fires the timer or closes its number, so that none can
 * touch the number after it; closes the descriptor unless it is given up (its number may be
 * another file's by now) or the program closed it. */
static void timer_release(struct wait_timer *t, bool give_up)
{
    if (t->fd < 0)
        return;
    bool ours = !give_up;
    if (t->slot >= 0) {
        int v;
        do
            v = settled_value(t->slot);
        while (!__atomic_compare_exchange_n(&timer_slots[t->slot], &v, 0, false, __ATOMIC_SEQ_CST,
                                            __ATOMIC_SEQ_CST));
        ours = ours && SLOT_STATE(v) != TIMER_LOST;
        slots_here &= ~(1ULL << t->slot);
        __atomic_sub_fetch(&timers_registered, 1, __ATOMIC_SEQ_CST);
    }
    if (ours && still_a_timer(t->fd))
        __close(t->fd);
    t->fd = -1;
    t->slot = -1;
}

static void timer_close(struct wait_timer *t) { timer_release(t, false); }
static void timer_give_up(struct wait_timer *t) { timer_release(t, true); }

/* Fires a live timer (TIMER_FIRING meanwhile) and leaves it in state after. */
static bool fire_slot(int i, int v, enum timer_state after)
{
    if (SLOT_STATE(v) != TIMER_LIVE ||
        !__atomic_compare_exchange_n(&timer_slots[i], &v, v | TIMER_FIRING, false, __ATOMIC_SEQ_CST,
                                     __ATOMIC_SEQ_CST))
        return false;
    fire_now(SLOT_FD(v));
    __atomic_store_n(&timer_slots[i], SLOT_IN_STATE(v, after), __ATOMIC_SEQ_CST);
    return true;
}

void er_pool_closing(unsigned int first, unsigned int last)
{
    if (__atomic_load_n(&timers_registered, __ATOMIC_SEQ_CST) == 0)
        return;
    for (int i = 0; i < TIMER_SLOTS; i++) {
        unsigned turns = 0;
        for (;;) {
            int v = __atomic_load_n(&timer_slots[i], __ATOMIC_SEQ_CST);
            if (v == 0 || (unsigned int)SLOT_FD(v) < first || (unsigned int)SLOT_FD(v) > last)
                break;
            if (SLOT_STATE(v) == TIMER_FIRING) {
                er_wait_a_turn(&turns);
                continue;
            }
            if (SLOT_STATE(v) != TIMER_LIVE || fire_slot(i, v, TIMER_CLOSING))
                break;
        }
    }
}

void er_pool_closed(unsigned int first, unsigned int last, bool closed)
{
    if (__atomic_load_n(&timers_registered, __ATOMIC_SEQ_CST) == 0)
        return;
    for (int i = 0; i < TIMER_SLOTS; i++) {
        int v = __atomic_load_n(&timer_slots[i], __ATOMIC_SEQ_CST);
        if (v != 0 && SLOT_STATE(v) == TIMER_CLOSING && (unsigned int)SLOT_FD(v) >= first &&
            (unsigned int)SLOT_FD(v) <= last)
            __atomic_store_n(&timer_slots[i], SLOT_IN_STATE(v, closed ? TIMER_LOST : TIMER_LIVE),
                             __ATOMIC_SEQ_CST);
    }
}

/* Wakes every registered waiter: each looks at the pool again. */
static void fire_all_timers(void)
{
    for (int i = 0; i < TIMER_SLOTS; i++)
        fire_slot(i, __atomic_load_n(&timer_slots[i], __ATOMIC_SEQ_CST), TIMER_LIVE);
}

/* In a fork child only the forking thread lives on: the other threads' timers are closed, its own
 * kept (a fork from a signal handler during its wait), and none is being fired or closed. */
static void forget_timers_in_child(void)
{
    int registered = 0;
    for (int i = 0; i < TIMER_SLOTS; i++) {
        int v = timer_slots[i];
        if (v == 0)
            continue;
        if (slots_here & (1ULL << i)) {
            enum timer_state state = SLOT_STATE(v);
            bool lost = state == TIMER_LOST || state == TIMER_CLOSING;
            timer_slots[i] = SLOT_IN_STATE(v, lost ? TIMER_LOST : TIMER_LIVE);
            registered++;
            continue;
        }
        if (SLOT_STATE(v) == TIMER_LIVE || SLOT_STATE(v) == TIMER_FIRING)
            __close(SLOT_FD(v));
        timer_slots[i] = 0;
    }
    timers_registered = registered;
}

/* Without a timer descriptor (the program is at its descriptor limit) a wait sleeps in steps of
 * clock_nanosleep with the program's mask: it cannot tell SA_RESTART apart there, so it keeps
 * waiting through handlers. One step ends at until (NEVER: a ready-file look from now). */
static void sleep_one_step(const struct signal_guard *g, int64_t until)
{
    int64_t next = min_deadline(until, er_boottime_ns() + ER_READY_FILE_POLL_NS);
    struct timespec ts = { next / 1000000000, next % 1000000000 };
    set_signal_mask(SIG_SETMASK, &g->program, NULL);
    er_raw_syscall6(SYS_clock_nanosleep, CLOCK_BOOTTIME, TIMER_ABSTIME, (long)&ts, 0, 0, 0);
    set_signal_mask(SIG_BLOCK, &g->handled, NULL);
    pthread_testcancel(); /* the raw sleep is no cancellation point: at most one step late */
}

/* Whether the wait's timer is still its own to use: one the program closed (the hooks saw it) or
 * whose number holds no timer any more (closed where no hook sees) is given up without a close of
 * its number, and the rest of the wait goes in steps, as one that never had a timer: a program
 * that closes every descriptor wants the lowest numbers for its own files, and a new timer would
 * take one. */
static bool timer_usable(struct wait_timer *t, enum sleep_end end)
{
    if (t->fd < 0)
        return false;
    if (end != SLEEP_BROKEN && !timer_lost(t) && still_a_timer(t->fd))
        return true;
    timer_give_up(t);
    return false;
}

/* The waits of this thread still in progress, outermost first (a handler can wait inside a wait),
 * with their timers: a handler that leaves a wait with siglongjmp unwinds it without ending it.
 * The next wait of the thread ends such a wait for it, known by a frame as deep on the stack as
 * its own or deeper (a wait it is nested in is always shallower), so that a program that times
 * out its requests with alarm and siglongjmp does not collect timers. */
#define WAITS_PER_THREAD 8
struct wait_record {
    const void *frame;
    struct wait_timer timer;
    bool poller; /* this wait looks at the ready file for the process */
};
static __thread struct wait_record waits_here[WAITS_PER_THREAD] __attribute__((tls_model("initial-exec")));
static __thread int waits_here_count __attribute__((tls_model("initial-exec")));

static void give_up_poller_role(struct wait_record *r);

/* A wait's record ended, however the wait was left: its poller role handed on, its timer closed. */
static void end_record(struct wait_record *r)
{
    give_up_poller_role(r);
    timer_close(&r->timer);
}

/* A wait a thread leaves by a cancellation, which unwinds it, or by siglongjmp pushes no cleanup
 * handler: a jump out of one leaves glibc's record of it in the thread, for a later cancellation
 * to unwind into. Its record stays in the thread instead, and is ended by the thread's next wait
 * or, when the thread exits, by this key's destructor. */
static pthread_key_t waits_key;
static int waits_key_state; /* 0: not made, 1: being made, 2: made, 3: none to be had */
static __thread bool waits_key_set __attribute__((tls_model("initial-exec")));

static void end_waits_left(void *unused)
{
    (void)unused;
    while (waits_here_count > 0)
        end_record(&waits_here[--waits_here_count]);
}

/* On an alternate signal stack, frames say nothing of the order of the waits. */
static bool on_alternate_stack(void)
{
    stack_t ss;
    return er_raw_syscall3(SYS_sigaltstack, 0, (long)&ss, 0) == 0 && (ss.ss_flags & SS_ONSTACK);
}

static struct wait_record *wait_begin(struct wait_record *spare, const void *frame)
{
    if (waits_here_count > 0 && !on_alternate_stack()) {
        while (waits_here_count > 0 &&
               (uintptr_t)waits_here[waits_here_count - 1].frame <= (uintptr_t)frame)
            end_record(&waits_here[--waits_here_count]);
    }
    if (!waits_key_set) {
        int state = 0;
        if (__atomic_compare_exchange_n(&waits_key_state, &state, 1, false, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE))
            __atomic_store_n(&waits_key_state, pthread_key_create(&waits_key, end_waits_left) == 0 ? 2 : 3,
                             __ATOMIC_RELEASE);
        /* While another thread makes the key, this wait goes without it: the thread's next sets it. */
        if (__atomic_load_n(&waits_key_state, __ATOMIC_ACQUIRE) == 2) {
            pthread_setspecific(waits_key, waits_here); /* any value but NULL: the destructor runs */
            waits_key_set = true;
        }
    }
    struct wait_record *r = waits_here_count < WAITS_PER_THREAD ? &waits_here[waits_here_count++] : spare;
    r->frame = frame;
    r->timer.fd = -1;
    r->timer.slot = -1;
    r->poller = false;
    return r;
}

static void wait_finish(struct wait_record *r)
{
    if (waits_here_count > 0 && r == &waits_here[waits_here_count - 1])
        waits_here_count--;
}

struct timed_sleep {
    struct wait_record *rec;
    struct signal_guard guard;
};

static void end_sleep(struct timed_sleep *s)
{
    end_record(s->rec);
    wait_finish(s->rec);
    guard_end(&s->guard);
}

/* Sleeps until a CLOCK_BOOTTIME moment (NEVER: until a signal). */
static int sleep_until(int64_t deadline, bool through_eintr)
{
    int result = 0;
    /* The program's handlers run only in the sleeps: one that jumps out finds the record whole. */
    struct timed_sleep s = { NULL, { 0, 0, 0 } };
    guard_begin(&s.guard);
    struct wait_record spare = { NULL, { -1, -1 }, false };
    s.rec = wait_begin(&spare, __builtin_frame_address(0));
    struct wait_timer *timer = &s.rec->timer;
    timer_open(timer);
    while (deadline == ER_DURATION_NEVER || er_boottime_ns() < deadline) {
        if (!timer_usable(timer, SLEEP_TIMER)) {
            sleep_one_step(&s.guard, deadline);
            continue;
        }
        arm_timer(timer->fd, deadline);
        enum sleep_end end = guarded_sleep(&s.guard, timer->fd);
        if (!timer_usable(timer, end))
            continue;
        if (end == SLEEP_INTERRUPTED && !through_eintr) {
            result = EINTR;
            break;
        }
    }
    end_sleep(&s);
    return result;
}

int er_pool_draw(uint64_t bits, bool through_eintr)
{
    int saved = errno;
    int64_t now = er_boottime_ns();
    int64_t empty_at = __atomic_load_n(&empty_at_ns, __ATOMIC_ACQUIRE), ready;
    do {
        ready = er_estimate_holds_at(empty_at, now, bits, entropy_rate);
        if (ready == ER_ESTIMATE_NEVER)
            break; /* nothing is ever credited: the read sleeps until a signal */
    } while (!__atomic_compare_exchange_n(&empty_at_ns, &empty_at, ready, false, __ATOMIC_ACQ_REL,
                                          __ATOMIC_ACQUIRE));
    int result = ready != ER_ESTIMATE_NEVER && ready <= now ? 0 : sleep_until(ready, through_eintr);
    errno = saved;
    return result;
}

/* The ready file is looked at by one waiting thread per process, the poller; the others (the
 * followers) sleep until the init moment or their hang timeout, and the poller fires their timers
 * when it sees the file, or when it stops waiting so that one of them takes its place. A poller
 * can also vanish without stopping (a signal handler that leaves its wait with siglongjmp): the
 * followers look every few seconds whether it still looks at the file, and one of them takes over
 * from a silent one. */
#define POLLER_SILENT_NS (INT64_C(1000) * 1000000)
#define FOLLOWER_CHECK_NS (INT64_C(5000) * 1000000)
static int poller_claimed;
static int64_t poller_looked_at; /* CLOCK_BOOTTIME of the poller's last look */
static __thread int polling_here __attribute__((tls_model("initial-exec")));

void er_pool_forget_in_child(void)
{
    /* The child has none of its parent's waiting threads, but the forking one, when a signal
     * handler forks during its wait: it still polls if it did. */
    poller_claimed = polling_here;
    forget_timers_in_child();
}

/* The sleep itself: a timer armed for the next moment worth looking (the init moment, the next
 * look at the ready file, the hang timeout), read until the pool is initialized. */
struct timed_wait {
    struct wait_record *rec; /* its timer, and whether it is the poller */
    bool through_eintr;
    int64_t start_ns, hang_at;
    bool hang_reported;
    er_hang_fn on_hang;
    void *ctx;
    struct signal_guard guard;
};

/* A follower is woken by the poller's firing of its registered timer; a wait that could not
 * register one (more waits than slots) looks at the file itself. */
static bool is_follower(const struct timed_wait *w)
{
    return ready_file != NULL && !w->rec->poller && !polling_here && w->rec->timer.slot >= 0;
}

/* A waiting thread that is not the poller takes the role when nobody holds it, or when its holder
 * has not looked at the file for a second. A wait nested in a signal handler on the poller's own
 * thread looks at the file itself: the poller is suspended. */
static void take_poller_role(struct timed_wait *w)
{
    if (w->rec->poller || polling_here)
        return;
    int expected = 0;
    if (!__atomic_compare_exchange_n(&poller_claimed, &expected, 1, false, __ATOMIC_SEQ_CST,
                                     __ATOMIC_SEQ_CST)) {
        int64_t now = er_boottime_ns(), seen = __atomic_load_n(&poller_looked_at, __ATOMIC_SEQ_CST);
        if (now - seen < POLLER_SILENT_NS ||
            !__atomic_compare_exchange_n(&poller_looked_at, &seen, now, false, __ATOMIC_SEQ_CST,
                                         __ATOMIC_SEQ_CST))
            return;
    }
    __atomic_store_n(&poller_looked_at, er_boottime_ns(), __ATOMIC_SEQ_CST);
    w->rec->poller = true;
    polling_here = 1;
}

/* One sleep of the wait: returns EINTR when a handler without SA_RESTART ended it and the API
 * fails then, else 0 (look at the pool again). */
static int sleep_once(struct timed_wait *w)
{
    struct wait_timer *timer = &w->rec->timer;
    if (!timer_usable(timer, SLEEP_TIMER)) {
        int64_t next = w->hang_reported ? load_init_at() : min_deadline(load_init_at(), w->hang_at);
        sleep_one_step(&w->guard, next);
        return 0;
    }
    if (is_follower(w))
        take_poller_role(w);
    int64_t now = er_boottime_ns();
    if (w->rec->poller)
        __atomic_store_n(&poller_looked_at, now, __ATOMIC_SEQ_CST);
    int64_t next = load_init_at();
    if (ready_file != NULL)
        next = min_deadline(next, now + (is_follower(w) ? FOLLOWER_CHECK_NS : ER_READY_FILE_POLL_NS));
    if (!w->hang_reported)
        next = min_deadline(next, w->hang_at);
    arm_timer(timer->fd, next);
    /* Arming the timer cancels a wake-up fired just before: a follower looks again after
     * arming, so that a poller that left or saw the file in between is not missed. */
    if (is_follower(w) &&
        (__atomic_load_n(&poller_claimed, __ATOMIC_SEQ_CST) == 0 || er_pool_initialized()))
        return 0;
    enum sleep_end end = guarded_sleep(&w->guard, timer->fd);
    if (!timer_usable(timer, end))
        return 0;
    return end == SLEEP_INTERRUPTED && !w->through_eintr ? EINTR : 0;
}

static int wait_on_timer(struct timed_wait *w)
{
    while (!er_pool_initialized()) {
        if (sleep_once(w) == EINTR)
            return EINTR;
        if (!w->hang_reported && w->hang_at != ER_DURATION_NEVER && er_boottime_ns() >= w->hang_at) {
            w->hang_reported = true;
            w->on_hang(w->ctx, er_boottime_ns() - w->start_ns);
        }
    }
    return 0;
}

/* The poller's role handed on: the others are woken, and one of them takes it. */
static void give_up_poller_role(struct wait_record *r)
{
    if (!r->poller)
        return;
    r->poller = false;
    polling_here = 0;
    __atomic_store_n(&poller_claimed, 0, __ATOMIC_SEQ_CST);
    fire_all_timers();
}

/* When the wait ends (init, or a signal): the poller hands its role on and wakes the others, and
 * the timer is closed. */
static void end_wait(struct timed_wait *w)
{
    end_record(w->rec);
    wait_finish(w->rec);
    guard_end(&w->guard);
}

int er_pool_wait(bool through_eintr, int64_t start_ns, int64_t hang_timeout_ns, er_hang_fn on_hang,
                 void *ctx)
{
    int saved = errno;
    /* The kernel's jitter loop starts with the first request that waits for init. */
    int64_t never = ER_DURATION_NEVER;
    if (init_on_jitter)
        __atomic_compare_exchange_n(&init_at_ns, &never, start_ns + ER_JITTER_INIT_NS, false,
                                    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
    int64_t hang_at = hang_timeout_ns == ER_DURATION_NEVER ? ER_DURATION_NEVER
                                                           : start_ns + hang_timeout_ns;
    /* The program's handlers run only in the sleeps: one that jumps out finds the record whole. */
    struct timed_wait w = { NULL, through_eintr, start_ns, hang_at, false, on_hang, ctx, { 0, 0, 0 } };
    guard_begin(&w.guard);
    struct wait_record spare = { NULL, { -1, -1 }, false };
    w.rec = wait_begin(&spare, __builtin_frame_address(0));
    timer_open(&w.rec->timer);
    int result = wait_on_timer(&w);
    end_wait(&w);
    errno = saved;
    return result;
}

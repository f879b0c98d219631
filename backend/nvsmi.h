/* nvsmi.h — parser for the GPU summary diagnostic: the output of
 *   nvidia-smi --query-gpu=NVSMI_QUERY_FIELDS --format=csv,noheader,nounits
 * into one row per GPU, with problems flagged.
 *
 * Tolerant of what real drivers print: "[N/A]", "[Not Supported]" and any
 * other bracketed word mean "not available"; units ("45 C", "80 %",
 * "1024 MiB", "300.5 W") and surrounding spaces are accepted; a header line
 * (from --format=csv without noheader) and blank lines are skipped.
 * Anything else — a wrong field count, a number that is not one, a NUL
 * byte — is refused with a message naming the line. Pure: no I/O, no
 * globals, input need not be NUL-terminated (fuzzed in a later issue).
 *
 * Ownership: nvsmi_parse allocates *out (an array of *n rows) which the
 * caller frees with free(); on failure *out is NULL and *n is 0. */
#ifndef DCOPS_NVSMI_H
#define DCOPS_NVSMI_H

#include <stddef.h>

#include "util.h"

#define NVSMI_QUERY_FIELDS                                                           \
	"index,uuid,name,temperature.gpu,utilization.gpu,memory.used,memory.total," \
	"power.draw,ecc.errors.uncorrected.volatile.total,retired_pages.pending"
#define NVSMI_NFIELDS 10

#define NVSMI_HOT_C 85 /* temperature at or above which a GPU is flagged */

enum nvsmi_problem {
	NVSMI_ECC = 1u << 0,     /* uncorrected volatile ECC errors > 0 */
	NVSMI_HOT = 1u << 1,     /* temperature >= NVSMI_HOT_C */
	NVSMI_PENDING = 1u << 2, /* retired pages / row remap pending a reset */
};

struct nvsmi_gpu {
	int index;
	char uuid[64];
	char name[96];
	int temp_c;           /* -1: not available (here and below) */
	int util_pct;
	long mem_used_mib;
	long mem_total_mib;
	double power_w;       /* < 0: not available */
	long ecc_uncorrected;
	int pending;          /* 1 yes, 0 no, -1 not available */
	unsigned problems;    /* enum nvsmi_problem bits */
};

int nvsmi_parse(const char *text, size_t len, struct nvsmi_gpu **out, size_t *n,
		struct dc_err *err);

/* "ECC, HOT" style summary of problem bits into buf; "" when none. */
const char *nvsmi_problem_str(unsigned problems, char *buf, size_t cap);

#endif

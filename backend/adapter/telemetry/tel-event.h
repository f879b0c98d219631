/* tel-event.h — one GPU health event, the seam between the telemetry
 * reader (backend/adapter/telemetry: DCGM metrics through Prometheus or the
 * exporters) and the remediation step (backend/adapter/remedy: the Xid
 * table, incidents, proposed and automatic drains).
 *
 * The reader turns samples into events: a new value of
 * DCGM_FI_DEV_XID_ERRORS is one TEL_XID event; a counter that rose (ECC
 * double-bit, row-remap failures, NVLink errors) is one event carrying the
 * rise; a counter that fell (the exporter or the driver restarted) is a new
 * baseline, never an event. Remediation never sees samples, only events.
 *
 * Ownership: an event and its strings belong to the reader's cycle; they
 * stay valid until the reader's next cycle starts. A consumer copies what
 * it keeps. */
#ifndef DCOPS_TEL_EVENT_H
#define DCOPS_TEL_EVENT_H

#include <time.h>

enum tel_event_kind {
	TEL_XID,            /* code: the Xid (DCGM_FI_DEV_XID_ERRORS's new value) */
	TEL_ECC_DBE,        /* code: the counter's new total; rise: by how much */
	TEL_REMAP_FAILURE,  /* row remapping failed (DCGM_FI_DEV_ROW_REMAP_FAILURE) */
	TEL_REMAP_PENDING,  /* uncorrectable rows waiting for a reset */
	TEL_NVLINK,         /* NVLink CRC/replay/recovery errors rose */
};

struct tel_event {
	enum tel_event_kind kind;
	const char *node;   /* dcops node name, matched from the Hostname label */
	int gpu;            /* the node's GPU index (the gpu label) */
	const char *uuid;   /* the UUID label, "" when the source had none */
	long long code;     /* the Xid, or the counter's new total */
	long long rise;     /* counters: new total minus the last; Xid: 1 */
	time_t at;          /* the sample's timestamp */
};

#endif

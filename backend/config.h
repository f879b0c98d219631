/* config.h — the operator's config file, $XDG_CONFIG_HOME/dcops/config.json
 * (else ~/.config/dcops/config.json, or --config FILE):
 *
 *   { "default_profile": "prod", "theme": "default", "timezone": "KST",
 *     "profiles": { "prod": { "db": "service=dcops-prod", "readonly": true,
 *                             "write_db": "service=dcops-primary",
 *                             "relay": "/run/dcops/relay.sock",
 *                             "production": true, "write_window_minutes": 15,
 *                             "ssh": { "host": "bastion", "port": 22, "user": "kim",
 *                                      "identity_file": "~/.ssh/id_ed25519",
 *                                      "known_hosts": "~/.ssh/known_hosts",
 *                                      "db_host": "10.0.0.5", "db_port": 5432,
 *                                      "read_ssh_config": false, "password_auth": false,
 *                                      "node_host": "{node}.mgmt", "node_port": 22 } } },
 *     "keys": { "nodes.drain": "D", "global.quit": "q" },
 *     "diagnostics": [ { "name": "gpu", "label": "GPU summary", "nvsmi_csv": true,
 *                        "command": "nvidia-smi --query-gpu=... --format=csv,noheader,nounits" } ] }
 *
 * "sites": ["gwangju", "pangyo"] opens those profiles together in one
 * console (tui/site.h), as `--sites gwangju,pangyo` does; "bell": true
 * rings the terminal bell when a SEV-1/SEV-2 opens at a site not on screen.
 *
 * "relay" is a `dcops relay` socket (relay/relay.h): the console takes its
 * data from it, and `dcops relay` listens there without --socket.
 *
 * "timezone" is the zone every time is shown in, console and reports:
 * "KST" (the default, the Gwangju site's) or "UTC" (text.h).
 *
 * "diagnostics" replaces the built-in table (ssh_diag_defaults) as a
 * whole: only these commands ever run on a node. "node_host" is how the
 * bastion reaches a node, "{node}" standing for its (validated) name.
 *
 * Every key is optional. Unknown keys and wrong types are errors naming the
 * file and the JSON path ("config.json: profiles.prod.readonly: expected
 * true or false, got \"yes\""). A missing file is not an error (an empty
 * config). Files over CONFIG_MAX_BYTES or nested deeper than
 * CONFIG_MAX_DEPTH are refused. Key names are checked for shape only
 * ("VIEW.ACTION" / "global.ACTION"); tui/keys.c knows the actions.
 *
 * Ownership: struct config is caller storage; config_load fills it with
 * malloc'd strings and arrays that config_free releases. Absent strings
 * are NULL. On error c is left empty. config_json_load returns a cJSON tree the caller cJSON_Delete()s. */
#ifndef DCOPS_CONFIG_H
#define DCOPS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "text.h"
#include "util.h"

#define CONFIG_MAX_BYTES (1024 * 1024)
#define CONFIG_MAX_DEPTH 16
#define CONFIG_MAX_SITES 16

struct config_ssh {
	char *host, *user, *identity_file, *known_hosts, *db_host;
	char *node_host;     /* NULL: "{node}" */
	int port;            /* 0: not set (22) */
	int db_port;         /* 0: not set (5432) */
	int node_port;       /* 0: not set (22) */
	bool read_ssh_config, password_auth;
};

struct config_profile {
	char *name;
	char *db;            /* conninfo or "service=..." */
	char *write_db;      /* the primary, for writes when db is a hot standby; NULL: db */
	char *relay;         /* a `dcops relay` socket: the console's data, and the relay's own path */
	bool readonly, production;
	int write_window_minutes; /* default 15 */
	bool has_ssh;
	struct config_ssh ssh;
};

struct config_key {
	char *action;        /* "nodes.drain", "global.quit" */
	char *key;           /* "D", "C-d", "F5": parsed by tui/keys.c */
};

struct config_diag {
	char *name, *label, *command;
	bool nvsmi_csv;
};

struct config {
	char *path;          /* the file read (or looked for) */
	char *default_profile, *theme;
	char *timezone_name;      /* as written; NULL: not set */
	enum text_zone zone;      /* from timezone_name, else KST */
	char *sites;              /* "sites" as "a,b" (each a profile); NULL: not set */
	bool bell;
	struct config_profile *profiles;
	size_t nprofiles;
	struct config_key *keys;
	size_t nkeys;
	struct config_diag *diags;
	size_t ndiags;
};

/* The default path (malloc'd): $XDG_CONFIG_HOME/dcops/config.json, else
 * $HOME/.config/dcops/config.json; NULL when neither variable is set. */
char *config_default_path(void);
/* path NULL: the default path, which may be absent (an empty config);
 * an explicit path must exist. 0 on success, -1 with err set. */
int config_load(const char *path, struct config *c, struct dc_err *err);
void config_free(struct config *c);
/* name NULL: the default profile. NULL when absent. */
const struct config_profile *config_profile(const struct config *c, const char *name);
/* An SSH tunnel reaches one database server, so a separate server for
 * writes cannot be honoured through it: the option that asks for both
 * ("--write-db" or "the profile's write_db"), NULL when they do not meet.
 * ssh and write_db are the command line's (NULL: not given); p may be NULL. */
const char *config_write_ssh_conflict(const struct config_profile *p, const char *ssh, const char *write_db);

/* Shared with theme.c: reads and parses a JSON file under max bytes and the
 * depth limit; errors name the file and the line. */
struct cJSON;
struct cJSON *config_json_load(const char *path, size_t max, struct dc_err *err);
/* A short rendering of a JSON value for messages: "yes", 3, true, an object. */
void config_json_describe(const struct cJSON *v, char *buf, size_t n);

#endif

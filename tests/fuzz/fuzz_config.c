/* fuzz_config — config_load over arbitrary bytes.
 * Invariants: a refused config is left empty with a message; a loaded one
 * holds only values inside the ranges config.h documents, no duplicate
 * profile or diagnostic name, and a default_profile that resolves. config_free releases all
 * (LeakSanitizer checks). */
#include "fuzz.h"

#include "config.h"

static void check_port(const char *what, int port)
{
	if (port < 0 || port > 65535)
		fuzz_fail("%s %d out of range", what, port);
}

static void check_profile(const struct config *c, size_t i)
{
	const struct config_profile *p = &c->profiles[i];
	if (!p->name)
		fuzz_fail("profile %zu has no name", i);
	for (size_t j = 0; j < i; j++)
		if (strcmp(c->profiles[j].name, p->name) == 0)
			fuzz_fail("profile \"%s\" twice", p->name);
	if (p->write_window_minutes < 1 || p->write_window_minutes > 24 * 60)
		fuzz_fail("write_window_minutes %d", p->write_window_minutes);
	if (!p->has_ssh && (p->ssh.host || p->ssh.user || p->ssh.port))
		fuzz_fail("ssh fields set without has_ssh");
	check_port("ssh.port", p->ssh.port);
	check_port("ssh.db_port", p->ssh.db_port);
	check_port("ssh.node_port", p->ssh.node_port);
	if (config_profile(c, p->name) != &c->profiles[i])
		fuzz_fail("config_profile(\"%s\") finds another profile", p->name);
}

static void check_key(const struct config_key *k)
{
	if (!k->action || !k->key || !*k->key)
		fuzz_fail("key binding with an empty part");
	const char *dot = strchr(k->action, '.');
	if (!dot || dot == k->action || !dot[1] || strchr(dot + 1, '.'))
		fuzz_fail("action \"%s\" is not VIEW.ACTION", k->action);
}

static void check_diag(const struct config *c, size_t i)
{
	const struct config_diag *d = &c->diags[i];
	if (!d->name || !d->command)
		fuzz_fail("diagnostics[%zu] without a name or command", i);
	for (size_t j = 0; j < i; j++)
		if (strcmp(c->diags[j].name, d->name) == 0)
			fuzz_fail("diagnostic \"%s\" twice", d->name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	struct dc_err err = { { 0 } };
	int rc = config_load(fuzz_path(data, size), &c, &err);
	fuzz_check_msg(err.msg, sizeof err.msg, rc < 0);
	if (rc < 0) {
		if (c.path || c.profiles || c.nprofiles || c.keys || c.nkeys || c.theme ||
		    c.diags || c.ndiags ||
		    c.default_profile)
			fuzz_fail("a refused config is not empty");
		return 0;
	}
	if (rc != 0 || !c.path)
		fuzz_fail("config_load returned %d, path %p", rc, (void *)c.path);
	for (size_t i = 0; i < c.nprofiles; i++)
		check_profile(&c, i);
	for (size_t i = 0; i < c.nkeys; i++)
		check_key(&c.keys[i]);
	for (size_t i = 0; i < c.ndiags; i++)
		check_diag(&c, i);
	if (c.default_profile && !config_profile(&c, NULL))
		fuzz_fail("default_profile \"%s\" does not resolve", c.default_profile);
	config_free(&c);
	return 0;
}

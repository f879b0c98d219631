/* drill-list.c — the scenario list for the console (see drill-list.h). */
#include "drill-list.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "drill.h"

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct drill_entry *)a)->name, ((const struct drill_entry *)b)->name);
}

static void entry_fill(struct drill_entry *e, const char *dir, const char *file)
{
	char *path = xasprintf("%s/%s", dir, file);
	struct drill_scenario s;
	struct dc_err err = { { 0 } };
	e->name = xstrndup(file, strlen(file) - 5);
	if (drill_scenario_load(path, &s, &err) == 0) {
		e->title = xstrdup(s.title ? s.title : "");
		e->briefing = xstrdup(s.briefing ? s.briefing : "");
		e->spec = cJSON_PrintUnformatted(s.spec);
		e->seed = s.seed;
		e->speed = s.speed;
		e->events = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(s.spec, "timeline"));
		e->expectations = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(s.spec, "expectations"));
		drill_scenario_free(&s);
	} else {
		e->title = xstrdup("");
		e->briefing = xstrdup("");
		e->error = xstrdup(err.msg);
	}
	free(path);
}

int drill_list_load(struct drill_entry **out, size_t *n, struct dc_err *err)
{
	*out = NULL;
	*n = 0;
	const char *dir = drill_dir();
	DIR *d = opendir(dir);
	if (!d)
		return dc_err_set(err, "cannot read %s", dir);
	size_t cap = 0;
	for (struct dirent *de; (de = readdir(d));) {
		size_t l = strlen(de->d_name);
		if (l <= 5 || strcmp(de->d_name + l - 5, ".json") != 0)
			continue;
		*out = xgrow(*out, &cap, *n + 1, sizeof **out);
		memset(&(*out)[*n], 0, sizeof **out);
		entry_fill(&(*out)[(*n)++], dir, de->d_name);
	}
	closedir(d);
	if (*n)
		qsort(*out, *n, sizeof **out, entry_cmp);
	return 0;
}

void drill_list_free(struct drill_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].title);
		free(v[i].briefing);
		free(v[i].spec);
		free(v[i].error);
	}
	free(v);
}

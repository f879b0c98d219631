/* slurm-snap.c — the snapshot sets' arena, their release and the lookups. */
#include "slurm-snap.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

#define CHUNK_MIN (64u * 1024u)

struct slurm_chunk {
	struct slurm_chunk *next;
	size_t used, cap;
	max_align_t data[];
};

void *slurm_arena_alloc(struct slurm_arena *a, size_t n)
{
	size_t need = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	struct slurm_chunk *c = a->head;
	if (!c || c->cap - c->used < need) {
		size_t cap = need > CHUNK_MIN ? need : CHUNK_MIN;
		c = xmalloc(sizeof *c + cap);
		c->cap = cap;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	void *p = (char *)c->data + c->used;
	c->used += need;
	memset(p, 0, n);
	return p;
}

char *slurm_arena_strndup(struct slurm_arena *a, const char *s, size_t n)
{
	char *d = slurm_arena_alloc(a, n + 1);
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

char *slurm_arena_strdup(struct slurm_arena *a, const char *s)
{
	return slurm_arena_strndup(a, s ? s : "", s ? strlen(s) : 0);
}

void slurm_arena_free(struct slurm_arena *a)
{
	for (struct slurm_chunk *c = a->head, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	a->head = NULL;
}

static char *str_copy(struct slurm_arena *a, const char *s)
{
	return s ? slurm_arena_strdup(a, s) : NULL;
}

static char **strv_copy(struct slurm_arena *a, char *const *v, size_t n)
{
	if (!v)
		return NULL;
	char **d = slurm_arena_alloc(a, (n ? n : 1) * sizeof *d);
	for (size_t i = 0; i < n; i++)
		d[i] = str_copy(a, v[i]);
	return d;
}

void slurm_node_copy(struct slurm_arena *a, struct slurm_node *dst, const struct slurm_node *src)
{
	*dst = *src;
	dst->name = str_copy(a, src->name);
	dst->partitions = strv_copy(a, src->partitions, src->n_partitions);
	dst->state_text = str_copy(a, src->state_text);
	dst->reason = str_copy(a, src->reason);
	dst->reason_set_by_user = str_copy(a, src->reason_set_by_user);
	dst->gpu_type = str_copy(a, src->gpu_type);
	dst->comment = str_copy(a, src->comment);
	dst->reservation = str_copy(a, src->reservation);
}

void slurm_job_copy(struct slurm_arena *a, struct slurm_job *dst, const struct slurm_job *src)
{
	*dst = *src;
	dst->array_task_str = str_copy(a, src->array_task_str);
	dst->state_text = str_copy(a, src->state_text);
	dst->reason = str_copy(a, src->reason);
	dst->state_description = str_copy(a, src->state_description);
	dst->account = str_copy(a, src->account);
	dst->user = str_copy(a, src->user);
	dst->partition = str_copy(a, src->partition);
	dst->name = str_copy(a, src->name);
	dst->qos = str_copy(a, src->qos);
	dst->dependency = str_copy(a, src->dependency);
	dst->gpu_type = str_copy(a, src->gpu_type);
	dst->nodes = str_copy(a, src->nodes);
	dst->node_list = strv_copy(a, src->node_list, src->n_node_list);
}

/* Arrays of items live in the arena too; only the arena needs freeing. */
void slurm_node_set_free(struct slurm_node_set *s)
{
	slurm_arena_free(&s->arena);
	memset(s, 0, sizeof *s);
}

void slurm_part_set_free(struct slurm_part_set *s)
{
	slurm_arena_free(&s->arena);
	memset(s, 0, sizeof *s);
}

void slurm_job_set_free(struct slurm_job_set *s)
{
	slurm_arena_free(&s->arena);
	memset(s, 0, sizeof *s);
}

void slurm_assoc_set_free(struct slurm_assoc_set *s)
{
	slurm_arena_free(&s->arena);
	memset(s, 0, sizeof *s);
}

const struct slurm_node *slurm_find_node(const struct slurm_node_set *s, const char *name)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (strcmp(s->items[i].name, name) == 0)
			return &s->items[i];
	return NULL;
}

const struct slurm_partition *slurm_find_part(const struct slurm_part_set *s, const char *name)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (strcmp(s->items[i].name, name) == 0)
			return &s->items[i];
	return NULL;
}

const struct slurm_job *slurm_find_job(const struct slurm_job_set *s, uint32_t job_id)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (s->items[i].job_id == job_id)
			return &s->items[i];
	return NULL;
}

const struct slurm_account *slurm_find_account(const struct slurm_assoc_set *s, const char *name)
{
	for (size_t i = 0; s && i < s->n_accounts; i++)
		if (strcmp(s->accounts[i].name, name) == 0)
			return &s->accounts[i];
	return NULL;
}

const struct slurm_assoc *slurm_find_account_assoc(const struct slurm_assoc_set *s, const char *account)
{
	for (size_t i = 0; s && i < s->n; i++) {
		const struct slurm_assoc *a = &s->items[i];
		if (!a->user[0] && !a->partition[0] && strcmp(a->account, account) == 0)
			return a;
	}
	return NULL;
}

const struct slurm_assoc *slurm_find_user_assoc(const struct slurm_assoc_set *s, const char *account,
		const char *user)
{
	const struct slurm_assoc *any = NULL;
	for (size_t i = 0; s && i < s->n; i++) {
		const struct slurm_assoc *a = &s->items[i];
		if (strcmp(a->account, account) != 0 || strcmp(a->user, user) != 0)
			continue;
		if (!a->partition[0])
			return a;
		if (!any)
			any = a;
	}
	return any;
}

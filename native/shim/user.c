#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "user.h"
#include "error.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct passwd_entry {
	char name[256];
	unsigned long uid, gid;
	char home[PATH_MAX];
};

/* A uid or gid as the user wrote it: digits only, below 2^31 like the kernel's id range. */
static bool parse_id(const char *s, unsigned long *out)
{
	char *end;

	if (!*s || strspn(s, "0123456789") != strlen(s))
		return false;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno == 0 && *out <= 0x7fffffff;
}

/* Splits a colon-separated line in place; returns the number of fields. */
static size_t split_fields(char *line, char **fields, size_t max)
{
	size_t n = 0;

	line[strcspn(line, "\n")] = '\0';
	while (n < max) {
		fields[n++] = line;
		line = strchr(line, ':');
		if (!line)
			break;
		*line++ = '\0';
	}
	return n;
}

/* First entry whose name is key, or whose uid is key when key is numeric (runc's order). */
static bool find_passwd(const char *key, struct passwd_entry *out)
{
	FILE *f = fopen("/etc/passwd", "re");
	unsigned long want = 0;
	bool numeric = parse_id(key, &want);
	bool found = false;
	char *line = NULL;
	size_t cap = 0;

	if (!f)
		return false;
	while (!found && getline(&line, &cap, f) >= 0) {
		char *fld[7];
		unsigned long uid, gid;

		if (line[0] == '#' || split_fields(line, fld, 7) < 7)
			continue;
		if (!parse_id(fld[2], &uid) || !parse_id(fld[3], &gid))
			continue;
		if (strcmp(fld[0], key) != 0 && !(numeric && uid == want))
			continue;
		snprintf(out->name, sizeof(out->name), "%s", fld[0]);
		out->uid = uid;
		out->gid = gid;
		snprintf(out->home, sizeof(out->home), "%s", fld[5]);
		found = true;
	}
	free(line);
	fclose(f);
	return found;
}

static bool listed(char *members, const char *name)
{
	for (char *save = NULL, *m = strtok_r(members, ",", &save); m; m = strtok_r(NULL, ",", &save))
		if (strcmp(m, name) == 0)
			return true;
	return false;
}

static void add_group(struct exec_user *u, gid_t gid)
{
	gid_t *g;

	for (size_t i = 0; i < u->ngroups; i++)
		if (u->groups[i] == gid)
			return;
	g = realloc(u->groups, (u->ngroups + 1) * sizeof(*g));
	if (!g)
		abort();
	u->groups = g;
	u->groups[u->ngroups++] = gid;
}

/*
 * One pass over /etc/group: finds the group named or numbered key (if key), and adds every
 * group that lists member (if member) to u's groups.
 */
static bool scan_groups(const char *key, unsigned long *gid_out, const char *member, struct exec_user *u)
{
	FILE *f = fopen("/etc/group", "re");
	unsigned long want = 0;
	bool numeric = key && parse_id(key, &want);
	bool found = false;
	char *line = NULL;
	size_t cap = 0;

	if (!f)
		return false;
	while (getline(&line, &cap, f) >= 0) {
		char *fld[4];
		unsigned long gid;

		if (line[0] == '#' || split_fields(line, fld, 4) < 4 || !parse_id(fld[2], &gid))
			continue;
		if (key && !found && (strcmp(fld[0], key) == 0 || (numeric && gid == want))) {
			*gid_out = gid;
			found = true;
		}
		if (member && listed(fld[3], member))
			add_group(u, (gid_t)gid);
	}
	free(line);
	fclose(f);
	return found;
}

int user_resolve(const char *spec, struct exec_user *u, struct shim_error *e)
{
	char user_part[512];
	const char *colon = strchr(spec, ':');
	const char *group_part = colon ? colon + 1 : NULL;
	struct passwd_entry pw;
	bool have_pw;
	unsigned long id;

	*u = (struct exec_user){ 0 };
	snprintf(user_part, sizeof(user_part), "%.*s", colon ? (int)(colon - spec) : (int)strlen(spec), spec);
	if (!user_part[0])
		strcpy(user_part, "0");
	have_pw = find_passwd(user_part, &pw);
	if (have_pw) {
		u->uid = (uid_t)pw.uid;
		u->gid = (gid_t)pw.gid;
		snprintf(u->home, sizeof(u->home), "%s", pw.home[0] ? pw.home : "/");
	} else if (parse_id(user_part, &id)) {
		u->uid = (uid_t)id;
		strcpy(u->home, "/");
	} else {
		return fail(e, EXIT_SETUP, "unable to find user %s: no matching entries in passwd file", user_part);
	}
	if (group_part && group_part[0]) {
		unsigned long gid;

		if (scan_groups(group_part, &gid, NULL, u))
			u->gid = (gid_t)gid;
		else if (parse_id(group_part, &gid))
			u->gid = (gid_t)gid;
		else
			return fail(e, EXIT_SETUP, "unable to find group %s: no matching entries in group file", group_part);
		/* runc: a group given explicitly replaces the supplementary groups of the user. */
		add_group(u, u->gid);
		return 0;
	}
	add_group(u, u->gid);
	if (have_pw)
		scan_groups(NULL, NULL, pw.name, u);
	return 0;
}

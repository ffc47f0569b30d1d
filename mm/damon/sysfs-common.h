/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DAMON sysfs interface: the table-driven directory and file machinery
 * shared by sysfs.c and sysfs-schemes.c (and their KUnit tests).
 *
 * Every directory of /sys/kernel/mm/damon/admin is a struct damon_sysfs_dir
 * embedded as the first member of a typed struct, and is described by a
 * struct damon_sysfs_dir_type: its size, its table of files, fixed
 * subdirectories and, for numbered ("array") directories, the type of the
 * elements.  A file holding one value is a table entry that says where the
 * value lives in the typed struct and how to parse and print it, so that
 * most files need no code of their own, and each is named once.
 */
#ifndef _MM_DAMON_SYSFS_COMMON_H
#define _MM_DAMON_SYSFS_COMMON_H

#include <linux/damon.h>
#include <linux/kobject.h>
#include <linux/mutex.h>
#include <linux/stddef.h>
#include <linux/sysfs.h>

/*
 * Serialises structural changes of the tree (nr_* files), the kdamond
 * "state" commands and the string files.  Scalar files are read and
 * written without it.  The kdamond only trylocks it (refresh_ms).
 */
extern struct mutex damon_sysfs_lock;

/**
 * enum damon_sysfs_kind - How a field file parses and prints its value.
 * @DAMON_SYSFS_ULONG:		unsigned long, kstrtoul(), "%lu".
 * @DAMON_SYSFS_UINT:		unsigned int, kstrtouint(), "%u".
 * @DAMON_SYSFS_INT:		int, kstrtoint(), "%d".
 * @DAMON_SYSFS_BOOL:		bool, kstrtobool(), "Y"/"N".
 * @DAMON_SYSFS_KEYWORD:	int index in &damon_sysfs_field->names,
 *				matched with sysfs_streq(), printed by name.
 * @DAMON_SYSFS_STRING:		kmalloc'ed char *, stored as written.
 */
enum damon_sysfs_kind {
	DAMON_SYSFS_ULONG,
	DAMON_SYSFS_UINT,
	DAMON_SYSFS_INT,
	DAMON_SYSFS_BOOL,
	DAMON_SYSFS_KEYWORD,
	DAMON_SYSFS_STRING,
};

struct damon_sysfs_dir;

/**
 * struct damon_sysfs_field - A file holding one value of a directory.
 * @attr:	The sysfs attribute.
 * @offset:	Offset of the value in the typed directory struct.
 * @kind:	How to parse and print the value.
 * @einval:	Report parse errors as -EINVAL instead of the parser's errno.
 * @dflt:	Initial value (ignored for strings).
 * @names:	Keywords, for %DAMON_SYSFS_KEYWORD; NULL entries are holes.
 * @nr_names:	Number of entries of @names.
 * @check:	Optional extra validation of a parsed value; returns 0 or a
 *		negative errno.  Nothing is stored if it fails.
 */
struct damon_sysfs_field {
	struct kobj_attribute attr;
	unsigned short offset;
	unsigned char kind;
	bool einval;
	unsigned long dflt;
	const char * const *names;
	unsigned int nr_names;
	int (*check)(struct damon_sysfs_dir *dir, unsigned long val);
};

/**
 * struct damon_sysfs_subdir - A fixed subdirectory of a directory type.
 * @name:	Directory name.
 * @type:	Its type.
 * @offset:	Where the typed parent keeps the pointer to it.
 */
struct damon_sysfs_subdir {
	const char *name;
	const struct damon_sysfs_dir_type *type;
	size_t offset;
};

/**
 * struct damon_sysfs_dir_type - What a kind of directory looks like.
 * @ktype:	The kobject type (DAMON_SYSFS_KTYPE).
 * @size:	Size of the typed struct embedding struct damon_sysfs_dir.
 * @files:	The files, created with the directory.
 * @nr_files:	Number of entries of @files.
 * @subdirs:	Fixed subdirectories, terminated by an entry without name.
 * @release:	Optional: free what the typed struct owns, before it is
 *		freed.  Called without damon_sysfs_lock.
 * @elem_type:	For numbered directories: type of the elements.
 * @max_nr:	For numbered directories: highest accepted count (0: none).
 * @may_resize:	For numbered directories: optional check run under
 *		damon_sysfs_lock before the elements are replaced.
 */
struct damon_sysfs_dir_type {
	const struct kobj_type ktype;
	size_t size;
	struct damon_sysfs_field *files;
	unsigned int nr_files;
	const struct damon_sysfs_subdir *subdirs;
	void (*release)(struct damon_sysfs_dir *dir);
	const struct damon_sysfs_dir_type *elem_type;
	int max_nr;
	int (*may_resize)(struct damon_sysfs_dir *arr);
};

/**
 * struct damon_sysfs_dir - A directory of the DAMON sysfs tree.
 * @kobj:	The kobject; must be at offset 0 of the typed struct.
 * @parent:	Parent directory, or NULL for the root.
 * @children:	Fixed subdirectories (linked by @sibling).
 * @sibling:	Link in the parent's @children.
 * @nr:		Number of @elems (numbered directories).
 * @elems:	Numbered subdirectories 0..@nr-1.
 *
 * @children, @nr and @elems change only under damon_sysfs_lock (or before
 * the directory is visible).
 */
struct damon_sysfs_dir {
	struct kobject kobj;
	struct damon_sysfs_dir *parent;
	struct list_head children;
	struct list_head sibling;
	int nr;
	struct damon_sysfs_dir **elems;
};

static inline struct damon_sysfs_dir *to_damon_sysfs_dir(struct kobject *kobj)
{
	return container_of(kobj, struct damon_sysfs_dir, kobj);
}

static inline const struct damon_sysfs_dir_type *
damon_sysfs_dir_type_of(const struct damon_sysfs_dir *dir)
{
	return container_of(dir->kobj.ktype, struct damon_sysfs_dir_type,
			    ktype);
}

ssize_t damon_sysfs_field_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf);
ssize_t damon_sysfs_field_store(struct kobject *kobj,
				struct kobj_attribute *attr,
				const char *buf, size_t count);
ssize_t damon_sysfs_nr_show(struct kobject *kobj,
			    struct kobj_attribute *attr, char *buf);
ssize_t damon_sysfs_nr_store(struct kobject *kobj,
			     struct kobj_attribute *attr,
			     const char *buf, size_t count);
void damon_sysfs_dir_release(struct kobject *kobj);

int damon_sysfs_parse(const struct damon_sysfs_field *f, const char *buf,
		      unsigned long *val);
int damon_sysfs_keyword(const char * const *names, unsigned int nr_names,
			const char *buf);
int damon_sysfs_parse_ints(const char *buf, int *vals, int max);
size_t damon_sysfs_format_ints(char *buf, size_t size, const int *vals,
			       int nr);

struct damon_sysfs_dir *damon_sysfs_dir_new(struct kobject *parent_kobj,
					    struct damon_sysfs_dir *parent,
					    const struct damon_sysfs_dir_type *type,
					    const char *name);
int damon_sysfs_array_resize(struct damon_sysfs_dir *arr, int nr);
int damon_sysfs_array_fill(struct damon_sysfs_dir *arr, int nr,
			   int (*init)(struct damon_sysfs_dir *elem, int i,
				       void *arg),
			   void *arg);

/* ===== Declaration helpers ===== */

/*
 * Each directory type has one table of its files, one entry per file, e.g.
 *
 *	static struct damon_sysfs_field range_files[] = {
 *		DAMON_SYSFS_ULONG_FILE(struct damon_sysfs_range, min),
 *		DAMON_SYSFS_ULONG_FILE(struct damon_sysfs_range, max),
 *	};
 *	DAMON_SYSFS_DIR_TYPE(range_type, struct damon_sysfs_range, range_files);
 *
 * A value file is named after the member of the typed directory struct
 * that holds its value; the member's C type is checked against the kind at
 * build time.  Trailing arguments set more members of the entry (.einval,
 * .dflt, .check).  Files with code of their own are DAMON_SYSFS_NR_FILE()
 * and DAMON_SYSFS_CUSTOM_FILE() entries of the same table.
 */
#define __DAMON_SYSFS_VALUE_FILE(_struct, _name, _mode, _store, _kind,	\
				 _ctype, ...)				\
	{								\
		.attr = __ATTR(_name, _mode, damon_sysfs_field_show,	\
			       _store),					\
		.offset = offsetof(_struct, _name) +			\
			BUILD_BUG_ON_ZERO(offsetof(_struct, dir) != 0) +	\
			BUILD_BUG_ON_ZERO(!__same_type(			\
				((_struct *)0)->_name, _ctype)),	\
		.kind = _kind,						\
		__VA_ARGS__						\
	}

/* A 0600 file of @_struct->@_name. */
#define __DAMON_SYSFS_RW_FILE(_struct, _name, _kind, _ctype, ...)	\
	__DAMON_SYSFS_VALUE_FILE(_struct, _name, 0600,			\
				 damon_sysfs_field_store, _kind, _ctype,	\
				 __VA_ARGS__)

#define DAMON_SYSFS_ULONG_FILE(_struct, _name, ...)			\
	__DAMON_SYSFS_RW_FILE(_struct, _name, DAMON_SYSFS_ULONG,		\
			      unsigned long, __VA_ARGS__)
#define DAMON_SYSFS_UINT_FILE(_struct, _name, ...)			\
	__DAMON_SYSFS_RW_FILE(_struct, _name, DAMON_SYSFS_UINT,		\
			      unsigned int, __VA_ARGS__)
#define DAMON_SYSFS_INT_FILE(_struct, _name, ...)			\
	__DAMON_SYSFS_RW_FILE(_struct, _name, DAMON_SYSFS_INT, int,	\
			      __VA_ARGS__)
#define DAMON_SYSFS_BOOL_FILE(_struct, _name, ...)			\
	__DAMON_SYSFS_RW_FILE(_struct, _name, DAMON_SYSFS_BOOL, bool,	\
			      __VA_ARGS__)
#define DAMON_SYSFS_STRING_FILE(_struct, _name)				\
	__DAMON_SYSFS_RW_FILE(_struct, _name, DAMON_SYSFS_STRING, char *)
#define DAMON_SYSFS_KEYWORD_FILE(_struct, _name, _names, ...)		\
	__DAMON_SYSFS_RW_FILE(_struct, _name, DAMON_SYSFS_KEYWORD, int,	\
			      .names = _names,				\
			      .nr_names = ARRAY_SIZE(_names), __VA_ARGS__)

/* 0400 files: what the kdamond reports. */
#define DAMON_SYSFS_ULONG_RO_FILE(_struct, _name)			\
	__DAMON_SYSFS_VALUE_FILE(_struct, _name, 0400, NULL,		\
				 DAMON_SYSFS_ULONG, unsigned long)
#define DAMON_SYSFS_UINT_RO_FILE(_struct, _name)				\
	__DAMON_SYSFS_VALUE_FILE(_struct, _name, 0400, NULL,		\
				 DAMON_SYSFS_UINT, unsigned int)

/* The nr_* file of a numbered directory. */
#define DAMON_SYSFS_NR_FILE(_name)					\
	{ .attr = __ATTR(_name, 0600, damon_sysfs_nr_show,		\
			 damon_sysfs_nr_store) }

/* A file with its own show/store, given as a struct kobj_attribute. */
#define DAMON_SYSFS_CUSTOM_FILE(_kobj_attr)	{ .attr = _kobj_attr }

/* Every directory is a kobject of this kind. */
#define DAMON_SYSFS_KTYPE						\
	{								\
		.release = damon_sysfs_dir_release,			\
		.sysfs_ops = &kobj_sysfs_ops,				\
	}

/* A directory type whose files are the entries of @_files. */
#define DAMON_SYSFS_DIR_TYPE(_var, _struct, _files, ...)		\
	static const struct damon_sysfs_dir_type _var = {		\
		.ktype = DAMON_SYSFS_KTYPE,				\
		.size = sizeof(_struct),				\
		.files = _files,					\
		.nr_files = ARRAY_SIZE(_files),				\
		__VA_ARGS__						\
	}

/* A directory type without files. */
#define DAMON_SYSFS_BARE_DIR_TYPE(_var, _struct, ...)			\
	static const struct damon_sysfs_dir_type _var = {		\
		.ktype = DAMON_SYSFS_KTYPE,				\
		.size = sizeof(_struct),				\
		__VA_ARGS__						\
	}

#define DAMON_SYSFS_SUBDIR(_name, _type, _struct, _member)		\
	{ .name = _name, .type = &_type,				\
	  .offset = offsetof(_struct, _member) }

/* Element @i of numbered directory @arr, as typed struct @type. */
#define damon_sysfs_elem(arr, i, type)					\
	container_of((arr)->elems[i], type, dir)

/* ===== sysfs-schemes.c, used by sysfs.c ===== */

extern const struct damon_sysfs_dir_type damon_sysfs_schemes_type;

int damon_sysfs_memcg_path_to_id(const char *path, u64 *id);
int damon_sysfs_add_schemes(struct damon_ctx *ctx,
			    struct damon_sysfs_dir *schemes);
int damon_sysfs_commit_quota_goals(struct damon_ctx *ctx,
				   struct damon_sysfs_dir *schemes);
void damon_sysfs_schemes_update_stats(struct damon_ctx *ctx,
				      struct damon_sysfs_dir *schemes);
void damon_sysfs_schemes_update_esz(struct damon_ctx *ctx,
				    struct damon_sysfs_dir *schemes);
void damon_sysfs_schemes_clear_tried(struct damon_sysfs_dir *schemes);
int damon_sysfs_schemes_update_tried(struct damon_ctx *ctx,
				     struct damon_sysfs_dir *schemes,
				     bool bytes_only);

#endif /* _MM_DAMON_SYSFS_COMMON_H */

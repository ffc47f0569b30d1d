// SPDX-License-Identifier: GPL-2.0
/*
 * DAMON sysfs interface: generic field files, numbered directories and
 * directory lifetime, shared by every directory of the admin tree.
 */

#include <kunit/visibility.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "sysfs-common.h"

/* ===== Data ===== */

/* Serialises tree changes and state commands; see sysfs-common.h. */
DEFINE_MUTEX(damon_sysfs_lock);

/* ===== Parsing ===== */

/**
 * damon_sysfs_keyword() - Find a keyword in a table.
 * @names:	The keywords; NULL entries never match.
 * @nr_names:	Number of entries of @names.
 * @buf:	User input; one trailing newline is ignored.
 *
 * Context: Any context.
 * Return: The index of the matching keyword, or -EINVAL.
 */
int damon_sysfs_keyword(const char * const *names, unsigned int nr_names,
			const char *buf)
{
	unsigned int i;

	for (i = 0; i < nr_names; i++) {
		if (names[i] && sysfs_streq(buf, names[i]))
			return i;
	}
	return -EINVAL;
}
EXPORT_SYMBOL_IF_KUNIT(damon_sysfs_keyword);

/**
 * damon_sysfs_parse() - Parse user input for a field file.
 * @f:		The field.
 * @buf:	NUL-terminated user input.
 * @val:	Where to store the parsed value (signed values sign-extended).
 *
 * Numbers are parsed with base 0 by the kstrto*() function of their type.
 *
 * Context: Any context.
 * Return: 0, or the parser's errno (-EINVAL if @f->einval).
 */
int damon_sysfs_parse(const struct damon_sysfs_field *f, const char *buf,
		      unsigned long *val)
{
	unsigned int u;
	bool b;
	int i, err;

	switch (f->kind) {
	case DAMON_SYSFS_ULONG:
		err = kstrtoul(buf, 0, val);
		break;
	case DAMON_SYSFS_UINT:
		err = kstrtouint(buf, 0, &u);
		*val = u;
		break;
	case DAMON_SYSFS_INT:
		err = kstrtoint(buf, 0, &i);
		*val = (unsigned long)(long)i;
		break;
	case DAMON_SYSFS_BOOL:
		err = kstrtobool(buf, &b);
		*val = b;
		break;
	case DAMON_SYSFS_KEYWORD:
		err = damon_sysfs_keyword(f->names, f->nr_names, buf);
		if (err >= 0) {
			*val = err;
			err = 0;
		}
		break;
	default:
		err = -EINVAL;
	}
	if (err && f->einval)
		return -EINVAL;
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(damon_sysfs_parse);

/**
 * damon_sysfs_parse_ints() - Parse a list of integers as get_options() does.
 * @buf:	NUL-terminated user input.
 * @vals:	Where to store the integers, or NULL to only count them.
 * @max:	Most integers accepted.
 *
 * The syntax is that of get_options(): integers, each with the C prefixes
 * (``0x``, ``0``) and an optional minus sign, separated by commas; ``a-b``
 * stands for a, a+1, ..., b (nothing if b < a); parsing stops quietly at
 * the first thing that is neither (a space, a newline, garbage).  Unlike
 * get_options() it counts in a way a huge range cannot overflow.
 *
 * Context: Any context.
 * Return: The number of integers (0 if @buf starts with none), or -E2BIG if
 * there are more than @max.
 */
int damon_sysfs_parse_ints(const char *buf, int *vals, int max)
{
	char *s = (char *)buf, *u;
	int nr = 0, v, upper, res;

	for (;;) {
		res = get_option(&s, &v);
		if (!res)
			break;
		if (res == 3) {
			/* @s is at the '-' of "v-upper": add v..upper-1 */
			u = s + 1;
			upper = 0;
			get_option(&u, &upper);
			if (upper < v)
				break;
			if ((s64)upper - v > max - nr)
				return -E2BIG;
			for (; v < upper; v++, nr++) {
				if (vals)
					vals[nr] = v;
			}
			/* upper itself is the next integer */
			s++;
			continue;
		}
		if (nr == max)
			return -E2BIG;
		if (vals)
			vals[nr] = v;
		nr++;
		if (res == 1)
			break;
	}
	return nr;
}
EXPORT_SYMBOL_IF_KUNIT(damon_sysfs_parse_ints);

/**
 * damon_sysfs_format_ints() - Print a list of integers.
 * @buf:	Output buffer.
 * @size:	Size of @buf, at least 2.
 * @vals:	The integers.
 * @nr:		Number of @vals.
 *
 * The integers in decimal, separated by commas, then a newline.  Those that
 * would not fit in @size with the newline and the NUL are left out, so that
 * a list longer than a page is shown cut, not overflowing.
 *
 * Context: Any context.
 * Return: The length of the text in @buf, without the NUL.
 */
size_t damon_sysfs_format_ints(char *buf, size_t size, const int *vals,
			       int nr)
{
	char num[16];
	size_t len = 0;
	int i, n;

	for (i = 0; i < nr; i++) {
		n = scnprintf(num, sizeof(num), "%s%d", i ? "," : "", vals[i]);
		if (len + n + 2 > size)
			break;
		memcpy(buf + len, num, n);
		len += n;
	}
	buf[len++] = '\n';
	buf[len] = '\0';
	return len;
}
EXPORT_SYMBOL_IF_KUNIT(damon_sysfs_format_ints);

/* ===== Field files ===== */

static const struct damon_sysfs_field *to_field(struct kobj_attribute *attr)
{
	return container_of(attr, struct damon_sysfs_field, attr);
}

static void *field_ptr(struct kobject *kobj, const struct damon_sysfs_field *f)
{
	/* the directory, hence the kobject, is at offset 0 of its struct */
	return (char *)kobj + f->offset;
}

static unsigned long field_get(const void *p, enum damon_sysfs_kind kind)
{
	switch (kind) {
	case DAMON_SYSFS_ULONG:
		return READ_ONCE(*(const unsigned long *)p);
	case DAMON_SYSFS_UINT:
		return READ_ONCE(*(const unsigned int *)p);
	case DAMON_SYSFS_INT:
	case DAMON_SYSFS_KEYWORD:
		return (long)READ_ONCE(*(const int *)p);
	case DAMON_SYSFS_BOOL:
		return READ_ONCE(*(const bool *)p);
	default:
		return 0;
	}
}

static void field_set(void *p, enum damon_sysfs_kind kind, unsigned long val)
{
	switch (kind) {
	case DAMON_SYSFS_ULONG:
		WRITE_ONCE(*(unsigned long *)p, val);
		break;
	case DAMON_SYSFS_UINT:
		WRITE_ONCE(*(unsigned int *)p, val);
		break;
	case DAMON_SYSFS_INT:
	case DAMON_SYSFS_KEYWORD:
		WRITE_ONCE(*(int *)p, (int)val);
		break;
	case DAMON_SYSFS_BOOL:
		WRITE_ONCE(*(bool *)p, !!val);
		break;
	default:
		break;
	}
}

static ssize_t string_show(char **p, char *buf)
{
	ssize_t ret;

	if (!mutex_trylock(&damon_sysfs_lock))
		return -EBUSY;
	ret = sysfs_emit(buf, "%s\n", *p ? *p : "");
	mutex_unlock(&damon_sysfs_lock);
	return ret;
}

static ssize_t string_store(char **p, const char *buf, size_t count)
{
	char *s = kmemdup_nul(buf, count, GFP_KERNEL);

	if (!s)
		return -ENOMEM;
	if (!mutex_trylock(&damon_sysfs_lock)) {
		kfree(s);
		return -EBUSY;
	}
	swap(*p, s);
	mutex_unlock(&damon_sysfs_lock);
	kfree(s);
	return count;
}

/**
 * damon_sysfs_field_show() - &kobj_attribute.show of every field file.
 * @kobj:	The directory.
 * @attr:	The &damon_sysfs_field.attr of the file.
 * @buf:	Output page.
 *
 * Context: Process context.  String fields trylock damon_sysfs_lock.
 * Return: Bytes written to @buf, or -EBUSY.
 */
ssize_t damon_sysfs_field_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	const struct damon_sysfs_field *f = to_field(attr);
	void *p = field_ptr(kobj, f);
	unsigned long v;

	if (f->kind == DAMON_SYSFS_STRING)
		return string_show(p, buf);
	v = field_get(p, f->kind);
	switch (f->kind) {
	case DAMON_SYSFS_ULONG:
		return sysfs_emit(buf, "%lu\n", v);
	case DAMON_SYSFS_UINT:
		return sysfs_emit(buf, "%u\n", (unsigned int)v);
	case DAMON_SYSFS_INT:
		return sysfs_emit(buf, "%d\n", (int)v);
	case DAMON_SYSFS_BOOL:
		return sysfs_emit(buf, "%c\n", v ? 'Y' : 'N');
	case DAMON_SYSFS_KEYWORD:
		if (WARN_ON_ONCE(v >= f->nr_names || !f->names[v]))
			return -EINVAL;
		return sysfs_emit(buf, "%s\n", f->names[v]);
	default:
		return -EINVAL;
	}
}

/**
 * damon_sysfs_field_store() - &kobj_attribute.store of every field file.
 * @kobj:	The directory.
 * @attr:	The &damon_sysfs_field.attr of the file.
 * @buf:	User input.
 * @count:	Size of @buf.
 *
 * Nothing changes unless the input parses and passes @f->check.
 *
 * Context: Process context.  String fields trylock damon_sysfs_lock.
 * Return: @count, or a negative errno.
 */
ssize_t damon_sysfs_field_store(struct kobject *kobj,
				struct kobj_attribute *attr,
				const char *buf, size_t count)
{
	const struct damon_sysfs_field *f = to_field(attr);
	void *p = field_ptr(kobj, f);
	unsigned long v;
	int err;

	if (f->kind == DAMON_SYSFS_STRING)
		return string_store(p, buf, count);
	err = damon_sysfs_parse(f, buf, &v);
	if (err)
		return err;
	if (f->check) {
		err = f->check(to_damon_sysfs_dir(kobj), v);
		if (err)
			return err;
	}
	field_set(p, f->kind, v);
	return count;
}

/* Call @fn for every field file of @dir, of type @type. */
static void visit_fields(struct damon_sysfs_dir *dir,
			 const struct damon_sysfs_dir_type *type,
			   void (*fn)(struct damon_sysfs_dir *dir,
				      const struct damon_sysfs_field *f))
{
	unsigned int i;

	for (i = 0; i < type->nr_files; i++) {
		const struct damon_sysfs_field *f = &type->files[i];

		if (f->attr.show == damon_sysfs_field_show)
			fn(dir, f);
	}
}

static void field_init(struct damon_sysfs_dir *dir,
		       const struct damon_sysfs_field *f)
{
	if (f->kind != DAMON_SYSFS_STRING)
		field_set(field_ptr(&dir->kobj, f), f->kind, f->dflt);
}

static void field_free(struct damon_sysfs_dir *dir,
		       const struct damon_sysfs_field *f)
{
	char **p = field_ptr(&dir->kobj, f);

	if (f->kind != DAMON_SYSFS_STRING)
		return;
	kfree(*p);
	*p = NULL;
}

/* ===== Directories ===== */

static void damon_sysfs_dir_remove(struct damon_sysfs_dir *dir);
static int damon_sysfs_array_append(struct damon_sysfs_dir *arr,
				    int (*init)(struct damon_sysfs_dir *elem,
						int i, void *arg),
				    void *arg);

/**
 * damon_sysfs_dir_release() - &kobj_type.release of every directory.
 * @kobj:	The directory's kobject.
 *
 * Context: Process context.
 */
void damon_sysfs_dir_release(struct kobject *kobj)
{
	struct damon_sysfs_dir *dir = to_damon_sysfs_dir(kobj);
	const struct damon_sysfs_dir_type *type = damon_sysfs_dir_type_of(dir);

	if (type->release)
		type->release(dir);
	visit_fields(dir, type, field_free);
	kfree(dir->elems);
	kfree(dir);
}

static int add_files(struct damon_sysfs_dir *dir)
{
	const struct damon_sysfs_dir_type *type = damon_sysfs_dir_type_of(dir);
	unsigned int i;
	int err;

	for (i = 0; i < type->nr_files; i++) {
		err = sysfs_create_file(&dir->kobj, &type->files[i].attr.attr);
		if (err)
			return err;
	}
	return 0;
}

static int add_subdirs(struct damon_sysfs_dir *dir)
{
	const struct damon_sysfs_subdir *sd;
	struct damon_sysfs_dir *c;

	for (sd = damon_sysfs_dir_type_of(dir)->subdirs; sd && sd->name; sd++) {
		c = damon_sysfs_dir_new(NULL, dir, sd->type, sd->name);
		if (IS_ERR(c))
			return PTR_ERR(c);
		list_add_tail(&c->sibling, &dir->children);
		*(struct damon_sysfs_dir **)((char *)dir + sd->offset) = c;
	}
	return 0;
}

/**
 * damon_sysfs_dir_new() - Create a directory with its fixed subdirectories.
 * @parent_kobj:	Parent kobject when @parent is NULL (the root).
 * @parent:		Parent directory, or NULL.
 * @type:		Type of the new directory.
 * @name:		Its name.
 *
 * Fields get their default values.  The caller links the result into
 * @parent (&damon_sysfs_dir->children or ->elems).
 *
 * Context: Process context; damon_sysfs_lock held or @parent not visible.
 * Return: The directory, or an ERR_PTR().
 */
struct damon_sysfs_dir *damon_sysfs_dir_new(struct kobject *parent_kobj,
					    struct damon_sysfs_dir *parent,
					    const struct damon_sysfs_dir_type *type,
					    const char *name)
{
	struct damon_sysfs_dir *dir;
	int err;

	dir = kzalloc(type->size, GFP_KERNEL);
	if (!dir)
		return ERR_PTR(-ENOMEM);
	dir->parent = parent;
	INIT_LIST_HEAD(&dir->children);
	INIT_LIST_HEAD(&dir->sibling);
	/* before the files become visible */
	visit_fields(dir, type, field_init);
	err = kobject_init_and_add(&dir->kobj, &type->ktype,
				   parent ? &parent->kobj : parent_kobj,
				   "%s", name);
	if (err) {
		kobject_put(&dir->kobj);
		return ERR_PTR(err);
	}
	err = add_files(dir);
	if (!err)
		err = add_subdirs(dir);
	if (err) {
		damon_sysfs_dir_remove(dir);
		return ERR_PTR(err);
	}
	return dir;
}

static void array_clear(struct damon_sysfs_dir *arr)
{
	while (arr->nr)
		damon_sysfs_dir_remove(arr->elems[--arr->nr]);
	kfree(arr->elems);
	arr->elems = NULL;
}

/**
 * damon_sysfs_dir_remove() - Remove a directory and everything below it.
 * @dir:	The directory; freed once its last reference is gone.
 *
 * Context: Process context; damon_sysfs_lock held or @dir not visible.
 */
static void damon_sysfs_dir_remove(struct damon_sysfs_dir *dir)
{
	struct damon_sysfs_dir *c, *next;

	array_clear(dir);
	list_for_each_entry_safe_reverse(c, next, &dir->children, sibling)
		damon_sysfs_dir_remove(c);
	list_del_init(&dir->sibling);
	kobject_del(&dir->kobj);
	kobject_put(&dir->kobj);
}

/**
 * damon_sysfs_array_fill() - Replace the elements of a numbered directory,
 *			      initialising each before it is counted.
 * @arr:	The numbered directory.
 * @nr:		The new number of elements, >= 0.
 * @init:	Optional: called on each new element, in index order, after
 *		its files and fixed subdirectories exist and before it is in
 *		@arr->elems; may fill its values and its own numbered
 *		subdirectories.  A non-zero return fails the whole fill.
 * @arg:	Passed to @init.
 *
 * All existing elements are removed, then @nr fresh ones with default
 * values are created.  The array of @nr pointers is allocated first and
 * quietly (a user may write INT_MAX to an nr_* file; that must not splat),
 * so that a request too big to allocate changes nothing.  If creating or
 * initialising an element fails, none is left, as the ABI says.
 *
 * Context: Process context; damon_sysfs_lock held.
 * Return: 0, -ENOMEM (or another kobject error), or the error of @init.
 */
int damon_sysfs_array_fill(struct damon_sysfs_dir *arr, int nr,
			   int (*init)(struct damon_sysfs_dir *elem, int i,
				       void *arg),
			   void *arg)
{
	struct damon_sysfs_dir **elems = NULL;
	int err;

	if (nr) {
		elems = kcalloc(nr, sizeof(*elems), GFP_KERNEL | __GFP_NOWARN);
		if (!elems)
			return -ENOMEM;
	}
	array_clear(arr);
	arr->elems = elems;
	while (arr->nr < nr) {
		err = damon_sysfs_array_append(arr, init, arg);
		if (err) {
			array_clear(arr);
			return err;
		}
	}
	return 0;
}

/**
 * damon_sysfs_array_resize() - Replace the elements of a numbered directory.
 * @arr:	The numbered directory.
 * @nr:		The new number of elements, >= 0.
 *
 * damon_sysfs_array_fill() with default values only: what an nr_* write
 * does.
 *
 * Context: Process context; damon_sysfs_lock held.
 * Return: 0 or -ENOMEM (or another kobject error).
 */
int damon_sysfs_array_resize(struct damon_sysfs_dir *arr, int nr)
{
	return damon_sysfs_array_fill(arr, nr, NULL, NULL);
}

/**
 * damon_sysfs_array_append() - Add one element to a numbered directory.
 * @arr:	The numbered directory; @arr->elems must have room.
 * @init:	Optional initialisation of the element before it is counted.
 * @arg:	Passed to @init.
 *
 * Context: Process context; damon_sysfs_lock held.
 * Return: 0 or a negative errno; on error the element is gone.
 */
static int damon_sysfs_array_append(struct damon_sysfs_dir *arr,
				    int (*init)(struct damon_sysfs_dir *elem,
						int i, void *arg),
				    void *arg)
{
	const struct damon_sysfs_dir_type *type = damon_sysfs_dir_type_of(arr);
	struct damon_sysfs_dir *e;
	char name[12];
	int err;

	lockdep_assert_held(&damon_sysfs_lock);
	snprintf(name, sizeof(name), "%d", arr->nr);
	e = damon_sysfs_dir_new(NULL, arr, type->elem_type, name);
	if (IS_ERR(e))
		return PTR_ERR(e);
	if (init) {
		err = init(e, arr->nr, arg);
		if (err) {
			damon_sysfs_dir_remove(e);
			return err;
		}
	}
	arr->elems[arr->nr++] = e;
	return 0;
}

/**
 * damon_sysfs_nr_show() - &kobj_attribute.show of every nr_* file.
 * @kobj:	The numbered directory.
 * @attr:	The file.
 * @buf:	Output page.
 *
 * Context: Process context.
 * Return: Bytes written to @buf.
 */
ssize_t damon_sysfs_nr_show(struct kobject *kobj,
			    struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(to_damon_sysfs_dir(kobj)->nr));
}

/**
 * damon_sysfs_nr_store() - &kobj_attribute.store of every nr_* file.
 * @kobj:	The numbered directory.
 * @attr:	The file.
 * @buf:	User input: the new number of elements.
 * @count:	Size of @buf.
 *
 * Context: Process context; trylocks damon_sysfs_lock.
 * Return: @count; -EINVAL for bad input; -EBUSY if the lock is contended or
 * the directory type refuses; -ENOMEM.
 */
ssize_t damon_sysfs_nr_store(struct kobject *kobj,
			     struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	struct damon_sysfs_dir *arr = to_damon_sysfs_dir(kobj);
	const struct damon_sysfs_dir_type *type = damon_sysfs_dir_type_of(arr);
	int nr, err;

	err = kstrtoint(buf, 0, &nr);
	if (err)
		return err;
	if (nr < 0 || (type->max_nr && nr > type->max_nr))
		return -EINVAL;
	if (!mutex_trylock(&damon_sysfs_lock))
		return -EBUSY;
	err = type->may_resize ? type->may_resize(arr) : 0;
	if (!err)
		err = damon_sysfs_array_resize(arr, nr);
	mutex_unlock(&damon_sysfs_lock);
	return err ? err : count;
}

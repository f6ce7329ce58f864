/*
 * The operation catalogue: real agent tool calls, harmful ones next to their
 * benign look-alikes, through the public API only. A catalogue with the
 * built-in entries and one with a configuration are compiled once in main()
 * (Hyperscan compilation takes a moment) and shared by the forked tests;
 * the configuration-error tests build their own.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "detectors/catalogue.h"

static struct sr_catalogue *cat;  /* built-in entries only */
static struct sr_catalogue *ccat; /* plus the configuration below */
static struct sr_catalogue_scratch *scr, *cscr;
static struct sr_conf *conf;

static const char config_yaml[] =
    "catalogue:\n"
    "  destructive:\n"
    "    - name: acme.nuke_tenant\n"
    "      pattern: 'acme\\s+tenant\\s+nuke'\n"
    "      severity: 0.95\n"
    "      irreversible: true\n"
    "      resource: tenant\n"
    "    - name: acme.purge_queue\n"
    "      pattern: 'purge queue now'\n"
    "      words: true\n"
    "      severity: 0.4\n"
    "      irreversible: false\n"
    "      resource: queue\n"
    "credentials:\n"
    "  - id: railway-cli-token\n"
    "    scopes: [\"*\"]\n"
    "    purpose: custom-domain management\n"
    "    environments: [prod, stg]\n"
    "  - id: ci-deploy\n"
    "    purpose: deploys\n"
    "resources:\n"
    "  - id: vol-prod-main\n"
    "    kind: volume\n"
    "    environment: prd\n"
    "    backups: co-located\n"
    "  - id: db-staging\n"
    "    kind: database\n"
    "    environment: stage\n"
    "    backups: off-site\n";

static struct sr_event tool_call(const char *tool, const char *args) {
  struct sr_event ev;
  memset(&ev, 0, sizeof(ev));
  ev.type = SR_EV_TOOL_CALL;
  ev.phase = SR_PHASE_REQUESTED;
  ev.session_id = SR_STR_LIT("s1");
  ev.tool = sr_str_from(tool);
  ev.arguments = sr_str_from(args);
  return ev;
}

static struct sr_op classify(const char *tool, const char *args) {
  struct sr_event ev = tool_call(tool, args);
  struct sr_op op;
  sr_catalogue_classify(cat, scr, &ev, &op);
  return op;
}

static bool str_is(sr_str s, const char *c) {
  return sr_str_eq_cstr(s, c);
}
static const char *or_dash(const char *s) {
  return s ? s : "-";
}

/* One expected reading of a call. rule NULL: no rule expected (a
 * destructive of 0); resource/scope NULL: not checked; verb -1: not
 * checked. */
struct expect {
  const char *tool, *args;
  const char *rule;
  float min, max; /* band of op.destructive */
  const char *resource;
  int verb;
};

static void check_all(const struct expect *x, size_t n) {
  for (size_t i = 0; i < n; i++) {
    struct sr_op op = classify(x[i].tool, x[i].args);
    const char *what = x[i].args;
    if (x[i].rule)
      ck_assert_msg(op.rule && strcmp(op.rule, x[i].rule) == 0,
                    "%s: rule %s, expected %s", what, or_dash(op.rule),
                    x[i].rule);
    ck_assert_msg(op.destructive >= x[i].min && op.destructive <= x[i].max,
                  "%s: destructive %.2f not in [%.2f, %.2f] (rule %s)", what,
                  op.destructive, x[i].min, x[i].max, or_dash(op.rule));
    if (x[i].resource)
      ck_assert_msg(op.resource && strcmp(op.resource, x[i].resource) == 0,
                    "%s: resource %s, expected %s", what, or_dash(op.resource),
                    x[i].resource);
    if (x[i].verb >= 0)
      ck_assert_msg((int)op.verb == x[i].verb, "%s: verb %d, expected %d", what,
                    op.verb, x[i].verb);
    ck_assert_msg(op.mutating == (op.verb >= SR_VERB_WRITE),
                  "%s: mutating disagrees with verb", what);
  }
}

#define R SR_VERB_READ
#define W SR_VERB_WRITE
#define D SR_VERB_DELETE
#define N SR_VERB_NONE
#define ANY (-1)

/* --- filesystems ---------------------------------------------------------- */

START_TEST(filesystem_deletions_by_target) {
  /* clang-format off */
  static const struct expect x[] = {
      {"Bash", "{\"command\":\"rm -rf /\",\"description\":\"clean\"}", "shell.rm_rf_root", 1.0f, 1.0f, "file", D},
      {"Bash", "{\"command\":\"sudo rm -rf --no-preserve-root /\"}", "shell.rm_rf_root", 1.0f, 1.0f, "file", D},
      {"Bash", "{\"command\":\"rm -fr ~\"}", "shell.rm_rf_home", 0.9f, 1.0f, "file", D},
      {"Bash", "{\"command\":\"rm --recursive --force /var/lib/postgresql/data\"}", "shell.rm_datastore", 0.9f, 1.0f, "database", D},
      {"Bash", "{\"command\":\"rm -rf ./src\"}", "shell.rm_rf", 0.5f, 0.7f, "file", D},
      {"Bash", "{\"command\":\"rm -rf build /\"}", "shell.rm_rf_root", 1.0f, 1.0f, NULL, D},
      {"Bash", "{\"command\":\"find . -name '*.log' -delete\"}", "shell.find_delete", 0.5f, 0.7f, NULL, D},
      {"Bash", "{\"command\":\"dd if=/dev/zero of=/dev/sda bs=1M\"}", "shell.dd_device", 0.9f, 1.0f, "volume", D},
      {"Bash", "{\"command\":\"mkfs.ext4 /dev/nvme1n1\"}", "shell.mkfs", 0.9f, 1.0f, "volume", D},
      /* housekeeping and look-alikes: low or nothing */
      {"Bash", "{\"command\":\"rm -rf node_modules && npm install\"}", "shell.rm_rf", 0.01f, 0.3f, NULL, D},
      {"Bash", "{\"command\":\"rm file.txt\"}", "shell.rm", 0.2f, 0.3f, "file", D},
      {"Bash", "{\"command\":\"docker run --rm -v $(pwd):/app node:20 npm test\"}", NULL, 0, 0, NULL, W},
      {"Bash", "{\"command\":\"vercel env rm API_KEY production\"}", NULL, 0, 0, NULL, ANY},
      {"Bash", "{\"command\":\"ls -la /tmp\"}", NULL, 0, 0, NULL, R},
  };
  /* clang-format on */
  check_all(x, SR_ARRAY_LEN(x));
  /* rm of one file can be undone from version control; rm -rf / cannot */
  ck_assert(!classify("Bash", "{\"command\":\"rm file.txt\"}").irreversible);
  ck_assert(classify("Bash", "{\"command\":\"rm -rf /\"}").irreversible);
}
END_TEST

/* Deleting the files a data store lives in deletes its data, whatever the
 * command, its flags or the tool: a database's data directory wherever it
 * was put, the files only a store writes, container volumes, backups. Next
 * to them the everyday deletions they look like (build output, caches,
 * temp and test files, logs) stay what they were. */
START_TEST(data_store_files) {
  static const struct {
    const char *tool, *args, *rule, *what, *resource, *matched;
  } x[] = {
      /* clang-format off */
      {"Bash", "{\"command\":\"rm -rf /srv/postgres/data\"}", "shell.rm_datastore", "PostgreSQL data", "database", "/srv/postgres/data"},
      {"Bash", "{\"command\":\"sudo rm -rf /var/lib/postgresql/16/main && ls\"}", "shell.rm_datastore", "PostgreSQL data", "database", "/var/lib/postgresql/16/main"},
      {"Bash", "{\"command\":\"rm -rf $PGDATA\"}", "shell.rm_datastore", "PostgreSQL data", NULL, "$PGDATA"},
      {"Bash", "{\"command\":\"rm -rf /usr/local/var/postgresql@16/\"}", "shell.rm_datastore", "PostgreSQL data", NULL, "/usr/local/var/postgresql@16/"},
      {"Bash", "{\"command\":\"rm -rf /var/lib/postgresql/16/main/pg_wal/*\"}", "shell.rm_datastore", "PostgreSQL data", NULL, "/var/lib/postgresql/16/main/pg_wal/*"},
      {"Bash", "{\"command\":\"rm -rf ./pgdata\"}", "shell.rm_datastore", "PostgreSQL data", NULL, "./pgdata"},
      {"Bash", "{\"command\":\"rm -f /var/lib/mysql/ibdata1\"}", "shell.rm_datastore", "MySQL data", NULL, "/var/lib/mysql/ibdata1"},
      {"Bash", "{\"command\":\"rm -rf /data/db\"}", "shell.rm_datastore", "MongoDB data", NULL, "/data/db"},
      {"Bash", "{\"command\":\"rm dump.rdb appendonly.aof\"}", "shell.rm_datastore", "Redis data", NULL, "dump.rdb"},
      {"Bash", "{\"command\":\"rm -rf default.etcd\"}", "shell.rm_datastore", "etcd data", NULL, "default.etcd"},
      {"Bash", "{\"command\":\"rm -rf /usr/share/elasticsearch/data/nodes\"}", "shell.rm_datastore", "Elasticsearch/OpenSearch data", NULL, "/usr/share/elasticsearch/data/nodes"},
      {"Bash", "{\"command\":\"rm -rf /var/kafka-logs\"}", "shell.rm_datastore", "Kafka data", NULL, "/var/kafka-logs"},
      {"Bash", "{\"command\":\"rm -rf /var/lib/clickhouse /var/lib/cassandra\"}", "shell.rm_datastore", "ClickHouse data", NULL, "/var/lib/clickhouse"},
      {"Bash", "{\"command\":\"rm -f db/production.sqlite3\"}", "shell.rm_datastore", "a SQLite database", "database", "db/production.sqlite3"},
      {"Bash", "{\"command\":\"rm -f app.db app.db-wal\"}", "shell.rm_datastore", "a SQLite database", NULL, "app.db"},
      {"Bash", "{\"command\":\"sudo rm -rf /var/lib/docker/volumes/shop_pg/_data\"}", "shell.rm_datastore", "container volumes", "volume", "/var/lib/docker/volumes/shop_pg/_data"},
      {"Bash", "{\"command\":\"rm -rf /var/lib/rancher/k3s/storage/pvc-4f1c2a9e-0b7d_db_data\"}", "shell.rm_datastore", "Kubernetes volumes", "volume", "/var/lib/rancher/k3s/storage/pvc-4f1c2a9e-0b7d_db_data"},
      {"Bash", "{\"command\":\"rm -rf /mnt/pv/postgres\"}", "shell.rm_datastore", "PostgreSQL data", NULL, "/mnt/pv/postgres"},
      {"Bash", "{\"command\":\"rm -rf backups/\"}", "shell.rm_datastore", "backups", "backup", "backups/"},
      {"Bash", "{\"command\":\"rm -f /var/backups/db-2026-05-01.dump\"}", "shell.rm_datastore", "backups", "backup", "/var/backups/db-2026-05-01.dump"},
      {"Bash", "{\"command\":\"rm -f prod.bak shop.sql.bak\"}", "shell.rm_datastore", "backups", NULL, "prod.bak"},
      {"Bash", "{\"command\":\"rm -f pg_dump_2026.sql.gz\"}", "shell.rm_datastore", "backups", NULL, "pg_dump_2026.sql.gz"},
      /* other ways to the same loss */
      {"Bash", "{\"command\":\"find /var/lib/postgresql -delete\"}", "shell.find_delete_datastore", "PostgreSQL data", NULL, "/var/lib/postgresql"},
      {"Bash", "{\"command\":\"find /srv/mysql/data -type f | xargs rm -f\"}", "shell.find_xargs_rm_datastore", "MySQL data", NULL, "/srv/mysql/data"},
      {"Bash", "{\"command\":\"truncate -s 0 /var/lib/mysql/ibdata1\"}", "shell.truncate_datastore", "MySQL data", NULL, "/var/lib/mysql/ibdata1"},
      {"Bash", "{\"command\":\"shred -u -n 3 /var/lib/redis/dump.rdb\"}", "shell.shred_datastore", "Redis data", NULL, "/var/lib/redis/dump.rdb"},
      /* a move takes the files from under the server (store_ops[]) */
      {"Bash", "{\"command\":\"mv /srv/postgres/data /tmp/x\"}", "shell.mv_datastore", "PostgreSQL data", "database", "/srv/postgres/data"},
      {"Bash", "{\"command\":\"sudo mv -t /tmp/old /var/lib/mysql\"}", "shell.mv_datastore", "MySQL data", NULL, "/var/lib/mysql"},
      /* a tool whose name deletes, given the path */
      {"mcp__filesystem__delete_file", "{\"path\":\"/srv/postgres/data/PG_VERSION\"}", "tool.delete_datastore", "PostgreSQL data", "database", "/srv/postgres/data/PG_VERSION"},
      {"mcp__fs__remove_directory", "{\"paths\":[\"build\",\"/var/lib/mongodb\"]}", "tool.delete_datastore", "MongoDB data", NULL, "/var/lib/mongodb"},
      /* what they look like: build output, caches, temp, test and log
       * files, copies an editor keeps, code named after a store */
      {"Bash", "{\"command\":\"rm -rf ./build ./dist\"}", "shell.rm_rf", NULL, NULL, NULL},
      {"Bash", "{\"command\":\"rm -rf node_modules target/ .cache __pycache__\"}", "shell.rm_rf", NULL, NULL, NULL},
      {"Bash", "{\"command\":\"rm -rf /tmp/pgdata-4512 /tmp/kafka-logs\"}", "shell.rm_rf", NULL, NULL, NULL},
      {"Bash", "{\"command\":\"rm -f *.log\"}", NULL, NULL, NULL, NULL},
      {"Bash", "{\"command\":\"rm -f test.db\"}", NULL, NULL, NULL, NULL},
      {"Bash", "{\"command\":\"rm -f tests/fixtures/shop.db db/test.sqlite3\"}", NULL, NULL, NULL, NULL},
      {"Bash", "{\"command\":\"rm -f ~/.local/state/app/cache.db Thumbs.db\"}", NULL, NULL, NULL, NULL},
      {"Bash", "{\"command\":\"rm -rf /var/lib/postgresql/16/main/log/*\"}", "shell.rm_rf", NULL, NULL, NULL},
      {"Bash", "{\"command\":\"rm -f config.yaml.bak backup.sh\"}", NULL, NULL, NULL, NULL},
      {"Bash", "{\"command\":\"rm -rf src/lib/redis data/\"}", "shell.rm_rf", NULL, NULL, NULL},
      {"Bash", "{\"command\":\"git rm --cached data/app.db\"}", NULL, NULL, NULL, NULL},
      {"Bash", "{\"command\":\"vercel env rm PGDATA production\"}", NULL, NULL, NULL, NULL},
      {"Bash", "{\"command\":\"echo rm -rf /var/lib/mysql\"}", NULL, NULL, NULL, NULL},
      {"Bash", "{\"command\":\"find /var/lib/postgresql -name '*.log' -mtime +7 -delete\"}", "shell.find_delete", NULL, NULL, NULL},
      {"Bash", "{\"command\":\"find /backups -mtime +30 -delete\"}", "shell.find_delete", NULL, NULL, NULL},
      {"Bash", "{\"command\":\"cp -r /srv/postgres/data /backups/pg\"}", NULL, NULL, NULL, NULL},
      {"Bash", "{\"command\":\"shred -u notes.txt\"}", "shell.shred", NULL, NULL, NULL},
      {"Bash", "{\"command\":\"truncate -s +1G /var/lib/mysql/ibdata1\"}", NULL, NULL, NULL, NULL},
      /* a backup moved is still a backup; moving onto a data directory,
       * or renaming in version control, takes nothing away */
      {"Bash", "{\"command\":\"mv backups/db.dump /mnt/offsite/ && mv /tmp/x /srv/postgres/data\"}", NULL, NULL, NULL, NULL},
      {"Bash", "{\"command\":\"git mv db/app.sqlite3 db/legacy.sqlite3\"}", NULL, NULL, NULL, NULL},
      {"mcp__filesystem__delete_file", "{\"path\":\"build/app.js\"}", "generic.delete_file", NULL, NULL, NULL},
      {"mcp__filesystem__delete_file", "{\"path\":\"tests/fixtures/app.db\"}", "generic.delete_file", NULL, NULL, NULL},
      {"mcp__filesystem__write_file", "{\"path\":\"/srv/postgres/data/postgresql.auto.conf\",\"content\":\"x\"}", NULL, NULL, NULL, NULL},
      /* clang-format on */
  };
  for (size_t i = 0; i < SR_ARRAY_LEN(x); i++) {
    struct sr_op op = classify(x[i].tool, x[i].args);
    const char *a = x[i].args;
    ck_assert_msg(x[i].rule ? op.rule && strcmp(op.rule, x[i].rule) == 0
                            : op.rule == NULL || op.destructive < 0.3f,
                  "%s: rule %s, expected %s", a, or_dash(op.rule),
                  or_dash(x[i].rule));
    if (!x[i].what) {
      /* below what the catastrophic rule escalates unknown (0.75 / 0.8) */
      ck_assert_msg(!op.target_what && op.destructive < 0.9f,
                    "%s: %s %.2f (%s)", a, or_dash(op.target_what),
                    op.destructive, or_dash(op.rule));
      continue;
    }
    ck_assert_msg(op.target_what && strcmp(op.target_what, x[i].what) == 0,
                  "%s: what %s, expected %s", a, or_dash(op.target_what),
                  x[i].what);
    ck_assert_msg(str_is(op.matched, x[i].matched),
                  "%s: matched '%.*s', expected '%s'", a, (int)op.matched.n,
                  op.matched.p, x[i].matched);
    ck_assert_float_eq_tol(op.destructive, 0.95f, 0.001f);
    ck_assert(op.irreversible);
    ck_assert_int_eq(op.verb, SR_VERB_DELETE);
    if (x[i].resource)
      ck_assert_msg(op.resource && strcmp(op.resource, x[i].resource) == 0,
                    "%s: resource %s, expected %s", a, or_dash(op.resource),
                    x[i].resource);
    ck_assert_ptr_nonnull(op.needed_scope);
  }
}
END_TEST

/* find with -delete (or -exec rm) deletes everything under its starting
 * points unless a test narrows what it finds: from / or a home directory
 * that is rm -rf of it, whatever the spelling. */
START_TEST(find_without_tests_deletes_its_starting_point) {
  /* clang-format off */
  static const struct expect x[] = {
      {"Bash", "{\"command\":\"find / -delete\"}", "shell.find_delete_root", 1.0f, 1.0f, "file", D},
      {"Bash", "{\"command\":\"sudo find / -name '*' -exec rm -rf {} +\"}", "shell.find_delete_root", 1.0f, 1.0f, "file", D},
      {"Bash", "{\"command\":\"find /tmp/x /* -delete\"}", "shell.find_delete_root", 1.0f, 1.0f, NULL, D},
      {"Bash", "{\"command\":\"find ~ -mindepth 1 -delete\"}", "shell.find_delete_home", 0.9f, 1.0f, "file", D},
      {"Bash", "{\"command\":\"find \\\"$HOME\\\" -type f -delete\"}", "shell.find_delete_home", 0.9f, 1.0f, NULL, D},
      {"Bash", "{\"command\":\"/usr/bin/find -L /Users/ines/ -exec rm -f {} \\\\;\"}", "shell.find_delete_home", 0.9f, 1.0f, NULL, D},
      {"run_terminal_cmd", "{\"command\":\"find -P /etc -delete\"}", "shell.find_delete_system", 0.9f, 1.0f, NULL, D},
      {"Bash", "{\"command\":\"cd /srv/app && find . -delete\"}", "shell.find_delete_cwd", 0.8f, 1.0f, NULL, D},
      /* a test keeps the rest, a path below the home is not the home */
      {"Bash", "{\"command\":\"find ~ -name .DS_Store -delete\"}", "shell.find_delete", 0.5f, 0.7f, "file", D},
      {"Bash", "{\"command\":\"find / -xdev -user builder -delete\"}", "shell.find_delete", 0.5f, 0.7f, NULL, D},
      {"Bash", "{\"command\":\"find ~ -newermt 2026-01-01 -delete\"}", "shell.find_delete", 0.5f, 0.7f, NULL, D},
      {"Bash", "{\"command\":\"find . -name '*.pyc' -delete\"}", "shell.find_delete", 0.5f, 0.7f, NULL, D},
      {"Bash", "{\"command\":\"find /tmp/build-cache -mtime +7 -delete\"}", "shell.find_delete", 0.5f, 0.7f, NULL, D},
      {"Bash", "{\"command\":\"find ~/Downloads -delete\"}", "shell.find_delete", 0.5f, 0.7f, NULL, D},
      {"Bash", "{\"command\":\"find . -type d -name node_modules -prune -exec rm -rf {} +\"}", NULL, 0.5f, 0.7f, NULL, D},
      {"Bash", "{\"command\":\"find / -name core -type f 2>/dev/null\"}", NULL, 0, 0, NULL, R},
  };
  /* clang-format on */
  check_all(x, SR_ARRAY_LEN(x));
}
END_TEST

/* rm -rf of the working directory (or find . -delete) with nothing known
 * of where that is: a coding agent works in the project, or in the home it
 * was started in. A `cd` into a directory of it first names what is
 * emptied. */
START_TEST(wiping_the_working_directory) {
  /* clang-format off */
  static const struct expect x[] = {
      {"Bash", "{\"command\":\"rm -rf *\"}", "shell.rm_rf_cwd", 0.95f, 0.95f, "file", D},
      {"Bash", "{\"command\":\"rm -rf ./* .[!.]*\"}", "shell.rm_rf_cwd", 0.95f, 0.95f, NULL, D},
      {"run_terminal_cmd", "{\"command\":\"rm -rf .\",\"cwd\":\"/home/ines/src/shop\"}", "shell.rm_rf_cwd", 0.95f, 0.95f, NULL, D},
      {"Bash", "{\"command\":\"cd .. && rm -rf *\"}", "shell.rm_rf_cwd", 0.95f, 0.95f, NULL, D},
      {"Bash", "{\"command\":\"cd ~ && rm -rf *\"}", "shell.rm_rf_cwd", 0.95f, 0.95f, NULL, D},
      {"Bash", "{\"command\":\"cd \\\"$OUT\\\" && rm -rf *\"}", "shell.rm_rf_cwd", 0.95f, 0.95f, NULL, D},
      {"Bash", "{\"command\":\"find . -mindepth 1 -delete\"}", "shell.find_delete_cwd", 0.95f, 0.95f, NULL, D},
      /* a directory named first: rm -rf of it */
      {"Bash", "{\"command\":\"cd dist && rm -rf *\"}", "shell.rm_rf", 0.55f, 0.65f, NULL, D},
      {"Bash", "{\"command\":\"cd ./public/uploads; rm -rf ./*\"}", "shell.rm_rf", 0.55f, 0.65f, NULL, D},
      {"Bash", "{\"command\":\"cd /tmp/build-4512 && sudo rm -rf *\"}", "shell.rm_rf", 0.55f, 0.65f, NULL, D},
      {"Bash", "{\"command\":\"rm -f *.log\"}", NULL, 0, 0.3f, NULL, D},
  };
  /* clang-format on */
  check_all(x, SR_ARRAY_LEN(x));
}
END_TEST

/* rm -rf "$DIR/" where nothing in the call sets DIR: unset or empty, as a
 * variable from another shell is, it is rm -rf / (Steam's installer wiped
 * its users' disks with `rm -rf "$STEAMROOT/"*`). A name set first, a
 * `${DIR:?}` that stops on an empty one, or a path after the variable is
 * rm -rf of a directory. */
START_TEST(an_unset_variable_makes_rm_rf_the_root) {
  /* clang-format off */
  static const struct expect x[] = {
      {"Bash", "{\"command\":\"rm -rf \\\"$VAR/\\\"\"}", "shell.rm_rf_var_root", 0.95f, 0.95f, "file", D},
      {"Bash", "{\"command\":\"rm -rf \\\"${VAR}/\\\"*\"}", "shell.rm_rf_var_root", 0.95f, 0.95f, "file", D},
      {"Bash", "{\"command\":\"rm -rf \\\"$STEAMROOT/\\\"*\"}", "shell.rm_rf_var_root", 0.95f, 0.95f, NULL, D},
      {"Bash", "{\"command\":\"sudo rm -fr $OUT/\"}", "shell.rm_rf_var_root", 0.95f, 0.95f, NULL, D},
      /* a computed or an empty value is no name: $(...) fails empty */
      {"Bash", "{\"command\":\"OUT=$(mktemp -d) && rm -rf \\\"$OUT\\\"/*\"}", "shell.rm_rf_var_root", 0.95f, 0.95f, NULL, D},
      {"Bash", "{\"command\":\"OUT=\\\"\\\"; rm -rf \\\"$OUT/\\\"\"}", "shell.rm_rf_var_root", 0.95f, 0.95f, NULL, D},
      /* TMPDIR is unset in most Linux shells: not a temp directory alone */
      {"Bash", "{\"command\":\"rm -rf $TMPDIR/*\"}", "shell.rm_rf_var_root", 0.95f, 0.95f, NULL, D},
      {"Bash", "{\"command\":\"rm -rf \\\"$HOME/\\\"\"}", "shell.rm_rf_home", 0.95f, 0.95f, NULL, D},
      /* a path after the variable, a guard, a name set first */
      {"Bash", "{\"command\":\"rm -rf \\\"$BUILD_DIR/dist\\\"\"}", "shell.rm_rf", 0.6f, 0.6f, NULL, D},
      {"Bash", "{\"command\":\"rm -rf \\\"$BUILD_DIR\\\"/dist\"}", "shell.rm_rf", 0.6f, 0.6f, NULL, D},
      {"Bash", "{\"command\":\"rm -rf \\\"${VAR:?}/\\\"*\"}", "shell.rm_rf", 0.6f, 0.6f, NULL, D},
      {"Bash", "{\"command\":\"OUT=dist; rm -rf \\\"$OUT\\\"/*\"}", "shell.rm_rf_var", 0.7f, 0.7f, NULL, D},
      {"Bash", "{\"command\":\"export OUT=\\\"./build\\\" && rm -rf \\\"$OUT/\\\"\"}", "shell.rm_rf_var", 0.7f, 0.7f, NULL, D},
      {"Bash", "{\"command\":\"for d in build dist; do rm -rf \\\"$d/\\\"*; done\"}", "shell.rm_rf_var", 0.7f, 0.7f, NULL, D},
      {"Bash", "{\"command\":\"rm -rf $TMPDIR/stackrisk-*\"}", "shell.rm_rf", 0.2f, 0.3f, NULL, D},
      /* the variable set in another call is not seen: the root, as said */
      {"Bash", "{\"command\":\"rm -rf \\\"$out/\\\"*\",\"description\":\"OUT=dist\"}", "shell.rm_rf_var_root", 0.95f, 0.95f, NULL, D},
  };
  /* clang-format on */
  check_all(x, SR_ARRAY_LEN(x));
}
END_TEST

/* What an unnarrowed find lists, piped to xargs rm, is deleted as -delete
 * would delete it; a test in the find, a filter between or a start below
 * the home keeps the rest. */
START_TEST(a_find_listing_piped_to_xargs_rm) {
  /* clang-format off */
  static const struct expect x[] = {
      {"Bash", "{\"command\":\"find / -type f | xargs rm -rf\"}", "shell.find_xargs_rm_root", 1.0f, 1.0f, "file", D},
      {"Bash", "{\"command\":\"find / -print | sudo xargs -n 1 -P 4 rm -rf\"}", "shell.find_xargs_rm_root", 1.0f, 1.0f, NULL, D},
      {"Bash", "{\"command\":\"find ~ -type f | xargs rm -f\"}", "shell.find_xargs_rm_home", 0.95f, 0.95f, "file", D},
      {"Bash", "{\"command\":\"find \\\"$HOME\\\" -type f -print0 | xargs -0 rm -f\"}", "shell.find_xargs_rm_home", 0.95f, 0.95f, NULL, D},
      {"Bash", "{\"command\":\"find /etc -type f | xargs -I {} rm {}\"}", "shell.find_xargs_rm_system", 0.95f, 0.95f, NULL, D},
      {"run_terminal_cmd", "{\"command\":\"find . -type f | xargs rm\"}", "shell.find_xargs_rm_cwd", 0.95f, 0.95f, NULL, D},
      /* narrowed, filtered, below the home, or not rm */
      {"Bash", "{\"command\":\"find . -name '*.o' | xargs rm -f\"}", NULL, 0, 0, NULL, ANY},
      {"Bash", "{\"command\":\"find / -name core -type f | xargs rm -f\"}", NULL, 0, 0, NULL, ANY},
      {"Bash", "{\"command\":\"find ~/Downloads -type f | xargs rm -f\"}", NULL, 0, 0, NULL, ANY},
      {"Bash", "{\"command\":\"find / -type f | grep -v keep | xargs rm -f\"}", NULL, 0, 0, NULL, ANY},
      {"Bash", "{\"command\":\"find . -type f | xargs wc -l\"}", NULL, 0, 0, NULL, R},
      {"Bash", "{\"command\":\"find . -type f | xargs echo rm\"}", NULL, 0, 0, NULL, ANY},
      {"Bash", "{\"command\":\"find . -name '*.pyc' | xargs rm -rf\"}", "shell.rm_rf", 0.6f, 0.6f, NULL, D},
  };
  /* clang-format on */
  check_all(x, SR_ARRAY_LEN(x));
}
END_TEST

/* chmod or chown -R of the root or a system directory replaces modes and
 * owners no one recorded: sudo, ssh and the services stop working, and a
 * reinstall is the usual way back. */
START_TEST(recursive_permissions_of_the_system) {
  /* clang-format off */
  static const struct expect x[] = {
      {"Bash", "{\"command\":\"sudo chmod -R 000 /\"}", "shell.chmod_recursive_system", 0.95f, 0.95f, "file", D},
      {"Bash", "{\"command\":\"sudo chown -R nobody:nogroup /*\"}", "shell.chmod_recursive_system", 0.95f, 0.95f, NULL, D},
      {"Bash", "{\"command\":\"chmod -Rv 777 /usr/\"}", "shell.chmod_recursive_system", 0.95f, 0.95f, NULL, D},
      {"Bash", "{\"command\":\"chgrp --recursive -h staff /etc && ls\"}", "shell.chmod_recursive_system", 0.95f, 0.95f, NULL, D},
      /* below them, or not recursive */
      {"Bash", "{\"command\":\"sudo chown -R $USER /usr/local\"}", NULL, 0, 0, NULL, ANY},
      {"Bash", "{\"command\":\"chmod -R u+w ./build\"}", NULL, 0, 0, NULL, ANY},
      {"Bash", "{\"command\":\"chmod -r /etc/hosts.allow\"}", NULL, 0, 0, NULL, ANY},
      {"Bash", "{\"command\":\"chmod -R 755 dist && cd /\"}", NULL, 0, 0, NULL, ANY},
  };
  /* clang-format on */
  check_all(x, SR_ARRAY_LEN(x));
}
END_TEST

/* --- SQL and NoSQL -------------------------------------------------------- */

START_TEST(sql_where_clauses_matter) {
  /* clang-format off */
  static const struct expect x[] = {
      {"Bash", "{\"command\":\"psql \\\"$DATABASE_URL\\\" -c \\\"DROP DATABASE app;\\\"\"}", "sql.drop_database", 1.0f, 1.0f, "database", D},
      {"mcp__db__query", "{\"sql\":\"DROP TABLE users\"}", "sql.drop_table", 0.85f, 0.95f, "table", D},
      {"mcp__db__query", "{\"sql\":\"DELETE FROM users\"}", "sql.delete_all", 0.85f, 0.95f, "table", D},
      {"mcp__db__query", "{\"sql\":\"DELETE FROM users WHERE id = 1\"}", "sql.delete_where", 0.2f, 0.35f, "table", D},
      {"mcp__db__query", "{\"sql\":\"delete from sessions where 1=1;\"}", "sql.delete_where_true", 0.8f, 0.9f, NULL, D},
      {"mcp__db__query", "{\"sql\":\"UPDATE users SET active = false\"}", "sql.update_all", 0.5f, 0.7f, NULL, D},
      {"mcp__db__query", "{\"sql\":\"UPDATE users SET active = false WHERE id = 3\"}", NULL, 0, 0, NULL, W},
      {"mcp__db__query", "{\"sql\":\"TRUNCATE TABLE events CASCADE;\"}", "sql.truncate", 0.85f, 0.95f, "table", D},
      {"mcp__db__query", "{\"sql\":\"ALTER TABLE users DROP COLUMN email\"}", "sql.alter_drop_column", 0.6f, 0.8f, "table", D},
      {"mcp__db__query", "{\"sql\":\"SELECT id, deleted_at FROM users WHERE deleted_at IS NULL\"}", NULL, 0, 0, "database", R},
      {"mcp__db__query", "{\"sql\":\"INSERT INTO audit VALUES (1)\"}", NULL, 0, 0, NULL, W},
  };
  /* clang-format on */
  check_all(x, SR_ARRAY_LEN(x));
  /* the database noun of the tool name gives the scope of a harmless call */
  struct sr_op op =
      classify("mcp__db__query", "{\"sql\":\"SELECT 1 FROM users\"}");
  ck_assert_str_eq(or_dash(op.needed_scope), "database:read");
}
END_TEST

START_TEST(nosql_stores) {
  /* clang-format off */
  static const struct expect x[] = {
      {"Bash", "{\"command\":\"mongosh --eval 'db.dropDatabase()'\"}", "mongo.drop_database", 1.0f, 1.0f, "database", D},
      {"Bash", "{\"command\":\"mongosh --eval 'db.users.deleteMany({})'\"}", "mongo.delete_all", 0.85f, 0.95f, "collection", D},
      {"Bash", "{\"command\":\"mongosh --eval 'db.users.deleteMany({age: {$lt: 18}})'\"}", "mongo.delete_many", 0.3f, 0.4f, NULL, D},
      {"Bash", "{\"command\":\"mongosh --eval 'db.users.find({})'\"}", NULL, 0, 0, NULL, R},
      {"Bash", "{\"command\":\"redis-cli FLUSHALL\"}", "redis.flushall", 1.0f, 1.0f, "database", D},
      {"Bash", "{\"command\":\"redis-cli GET session:1\"}", NULL, 0, 0, NULL, R},
      {"Bash", "{\"command\":\"curl -X DELETE http://localhost:9200/logs-2024\"}", "elasticsearch.curl_delete_index", 0.85f, 0.95f, "index", D},
      {"Bash", "{\"command\":\"cqlsh -e 'DROP KEYSPACE prod;'\"}", "sql.drop_database", 1.0f, 1.0f, "database", D},
      {"Bash", "{\"command\":\"aws dynamodb delete-table --table-name orders\"}", "aws.dynamodb_delete_table", 0.9f, 1.0f, "table", D},
  };
  /* clang-format on */
  check_all(x, SR_ARRAY_LEN(x));
}
END_TEST

/* FLUSHDB of a database other than 0, which test suites select, is not
 * the application's data; 0 (the default) and FLUSHALL are. */
START_TEST(flushing_a_numbered_redis_database) {
  /* clang-format off */
  static const struct expect x[] = {
      {"Bash", "{\"command\":\"redis-cli -n 15 FLUSHDB\"}", "redis.flushdb_numbered", 0.9f, 0.9f, "database", D},
      {"Bash", "{\"command\":\"redis-cli -u redis://localhost:6379/2 flushdb\"}", "redis.flushdb_numbered", 0.9f, 0.9f, NULL, D},
      {"Bash", "{\"command\":\"redis-cli FLUSHDB\"}", "redis.flushdb", 0.95f, 0.95f, "database", D},
      {"Bash", "{\"command\":\"redis-cli -h cache.internal -n 0 flushdb\"}", "redis.flushdb", 0.95f, 0.95f, NULL, D},
      {"Bash", "{\"command\":\"redis-cli -n 15 FLUSHALL\"}", "redis.flushall", 1.0f, 1.0f, NULL, D},
  };
  /* clang-format on */
  check_all(x, SR_ARRAY_LEN(x));
}
END_TEST

/* --- git and GitHub ------------------------------------------------------- */

START_TEST(git_force_and_history) {
  /* clang-format off */
  static const struct expect x[] = {
      {"Bash", "{\"command\":\"git push --force origin main\"}", "git.push_force", 0.65f, 0.75f, "branch", D},
      {"Bash", "{\"command\":\"git -C /repo push -f\"}", "git.push_force", 0.65f, 0.75f, NULL, D},
      {"Bash", "{\"command\":\"git push origin +main\"}", "git.push_force", 0.65f, 0.75f, NULL, D},
      {"Bash", "{\"command\":\"git push --force-with-lease\"}", "git.push_force_lease", 0.45f, 0.55f, NULL, D},
      {"Bash", "{\"command\":\"git push origin --delete feature/x\"}", "git.push_delete", 0.55f, 0.65f, "branch", D},
      {"Bash", "{\"command\":\"git push origin :feature/x\"}", "git.push_delete", 0.55f, 0.65f, NULL, D},
      {"Bash", "{\"command\":\"git reset --hard HEAD~3\"}", "git.reset_hard", 0.45f, 0.55f, NULL, D},
      {"Bash", "{\"command\":\"git clean -fdx\"}", "git.clean_force", 0.55f, 0.65f, NULL, D},
      {"Bash", "{\"command\":\"git branch -D feature\"}", "git.branch_force_delete", 0.55f, 0.65f, NULL, D},
      {"Bash", "{\"command\":\"git branch -d feature\"}", "git.branch_delete", 0.25f, 0.35f, NULL, D},
      {"Bash", "{\"command\":\"git filter-repo --path secrets --invert-paths\"}", "git.filter_history", 0.75f, 0.85f, "repo", D},
      {"Bash", "{\"command\":\"gh repo delete acme/api --yes\"}", "gh.repo_delete", 1.0f, 1.0f, "repo", D},
      {"Bash", "{\"command\":\"gh api -X DELETE repos/acme/api\"}", "gh.api_delete_repo", 1.0f, 1.0f, "repo", D},
      {"Bash", "{\"command\":\"gh release delete v1.0\"}", "gh.release_delete", 0.4f, 0.6f, NULL, D},
      /* everyday git is not destructive */
      {"Bash", "{\"command\":\"git push origin main\"}", NULL, 0, 0, NULL, W},
      {"Bash", "{\"command\":\"git push -u origin feature/x\"}", NULL, 0, 0, NULL, W},
      {"Bash", "{\"command\":\"git clean -n\"}", NULL, 0, 0, NULL, ANY},
      {"Bash", "{\"command\":\"git status && git log --oneline -5\"}", NULL, 0, 0, NULL, R},
      {"Bash", "{\"command\":\"git checkout -b feature/x\"}", NULL, 0, 0, NULL, W},
      {"Bash", "{\"command\":\"gh api repos/acme/api/pulls\"}", NULL, 0, 0, NULL, R},
  };
  /* clang-format on */
  check_all(x, SR_ARRAY_LEN(x));
}
END_TEST

/* --- cloud CLIs and infrastructure as code ------------------------------- */

START_TEST(cloud_clis) {
  /* clang-format off */
  static const struct expect x[] = {
      {"Bash", "{\"command\":\"aws s3 rb s3://acme-backups --force\"}", "aws.s3_rb_force", 1.0f, 1.0f, "bucket", D},
      {"Bash", "{\"command\":\"aws s3 rm s3://acme-backups/2025/ --recursive\"}", "aws.s3_rm_recursive", 0.85f, 0.95f, "bucket", D},
      {"Bash", "{\"command\":\"aws --profile prod rds delete-db-instance --db-instance-identifier main --skip-final-snapshot\"}", "aws.rds_delete_db_instance", 0.9f, 1.0f, "database", D},
      /* the specific rule, not the "delete db" catch-all */
      {"Bash", "{\"command\":\"aws rds delete-db-snapshot --db-snapshot-identifier s1\"}", "aws.rds_delete_snapshot", 0.8f, 0.9f, "snapshot", D},
      {"Bash", "{\"command\":\"aws ec2 terminate-instances --instance-ids i-123\"}", "aws.ec2_terminate_instances", 0.85f, 0.95f, "instance", D},
      {"Bash", "{\"command\":\"aws ec2 delete-volume --volume-id vol-1\"}", "aws.ec2_delete_volume", 0.85f, 0.95f, "volume", D},
      {"Bash", "{\"command\":\"aws cloudformation delete-stack --stack-name prod\"}", "aws.cloudformation_delete_stack", 0.85f, 0.95f, "stack", D},
      {"Bash", "{\"command\":\"aws lambda delete-function --function-name f\"}", "aws.delete", 0.55f, 0.65f, "function", D},
      /* the catch-all reads batch deletions too */
      {"Bash", "{\"command\":\"aws ecr batch-delete-image --repository-name shop --image-ids imageTag=latest\"}", "aws.delete", 0.55f, 0.65f, NULL, D},
      /* rclone reaches every cloud's storage */
      {"Bash", "{\"command\":\"rclone purge b2:acme-backups\"}", "rclone.purge", 0.85f, 0.95f, "bucket", D},
      {"Bash", "{\"command\":\"rclone --config /etc/rclone.conf delete s3:acme-logs/2025 --min-age 30d\"}", "rclone.delete", 0.55f, 0.65f, "object", D},
      {"Bash", "{\"command\":\"rclone copy ./dist s3:acme-site\"}", NULL, 0, 0, NULL, W},
      {"Bash", "{\"command\":\"rclone ls b2:acme-backups\"}", NULL, 0, 0, NULL, R},
      /* a registry will not take an unpublished name or version again */
      {"Bash", "{\"command\":\"npm unpublish @acme/shop --force\"}", "npm.unpublish", 0.75f, 0.85f, "package", D},
      {"Bash", "{\"command\":\"npm publish --access public\"}", NULL, 0, 0, NULL, W},
      {"Bash", "{\"command\":\"gcloud projects delete acme-prod\"}", "gcloud.projects_delete", 1.0f, 1.0f, "project", D},
      {"Bash", "{\"command\":\"gcloud sql instances delete prod-db\"}", "gcloud.sql_instances_delete", 1.0f, 1.0f, "database", D},
      {"Bash", "{\"command\":\"gcloud storage rm -r gs://bucket/tmp\"}", "gcloud.storage_rm_recursive", 0.85f, 0.95f, "bucket", D},
      {"Bash", "{\"command\":\"az group delete --name prod-rg --yes\"}", "az.group_delete", 1.0f, 1.0f, NULL, D},
      {"Bash", "{\"command\":\"az vm delete -g rg -n vm1\"}", "az.vm_delete", 0.8f, 0.9f, "instance", D},
      {"Bash", "{\"command\":\"gsutil -m rm -r gs://bucket/tmp/\"}", "gsutil.rm_recursive", 0.85f, 0.95f, "bucket", D},
      /* reads */
      {"Bash", "{\"command\":\"aws ec2 describe-instances\"}", NULL, 0, 0, NULL, R},
      {"Bash", "{\"command\":\"aws s3 ls s3://acme\"}", NULL, 0, 0, NULL, R},
      {"Bash", "{\"command\":\"gcloud compute instances list\"}", NULL, 0, 0, NULL, R},
      {"Bash", "{\"command\":\"aws s3 cp build s3://site --recursive\"}", NULL, 0, 0, NULL, W},
  };
  /* clang-format on */
  check_all(x, SR_ARRAY_LEN(x));
}
END_TEST

/* A recursive deletion at a bucket's root empties it, as the Amazon Q
 * extension's injected prompt had the agent do to every bucket it listed;
 * under a prefix, or filtered, it is a clean-up. */
START_TEST(recursive_deletion_at_a_bucket_root_empties_it) {
  /* clang-format off */
  static const struct expect x[] = {
      {"Bash", "{\"command\":\"aws s3 rm s3://acme-prod-assets --recursive\"}", "aws.s3_rm_bucket", 0.95f, 0.95f, "bucket", D},
      {"Bash", "{\"command\":\"aws --profile prod s3 rm --recursive \\\"s3://acme-prod-assets/\\\"\"}", "aws.s3_rm_bucket", 0.95f, 0.95f, NULL, D},
      {"Bash", "{\"command\":\"for b in $(aws s3 ls | awk '{print $3}'); do aws s3 rm s3://$b --recursive; done\"}", "aws.s3_rm_bucket", 0.95f, 0.95f, NULL, D},
      {"Bash", "{\"command\":\"gsutil -m rm -r gs://acme-uploads\"}", "gsutil.rm_bucket", 0.95f, 0.95f, "bucket", D},
      {"Bash", "{\"command\":\"gsutil rm 'gs://acme-uploads/**'\"}", "gsutil.rm_bucket", 0.95f, 0.95f, NULL, D},
      {"run_terminal_cmd", "{\"command\":\"gcloud storage rm --recursive gs://acme-uploads/\"}", "gcloud.storage_rm_bucket", 0.95f, 0.95f, NULL, D},
      /* under a prefix, one object, or filtered */
      {"Bash", "{\"command\":\"aws s3 rm s3://acme-ci-artifacts/builds/4512/ --recursive\"}", "aws.s3_rm_recursive", 0.85f, 0.9f, NULL, D},
      {"Bash", "{\"command\":\"aws s3 rm s3://acme-logs --recursive --exclude '*' --include '*.tmp'\"}", NULL, 0.5f, 0.9f, NULL, D},
      {"Bash", "{\"command\":\"aws s3 rm s3://acme-prod-reports/tmp/export.csv\"}", "aws.s3_rm", 0.35f, 0.45f, NULL, D},
      {"Bash", "{\"command\":\"gsutil rm gs://acme-uploads/tmp/a.png\"}", "gsutil.rm", 0.35f, 0.45f, NULL, D},
      {"Bash", "{\"command\":\"gcloud storage rm -r gs://acme-uploads/tmp/\"}", "gcloud.storage_rm_recursive", 0.85f, 0.9f, NULL, D},
      {"Bash", "{\"command\":\"aws s3 ls s3://acme-prod-assets --recursive\"}", NULL, 0, 0, NULL, R},
  };
  /* clang-format on */
  check_all(x, SR_ARRAY_LEN(x));
}
END_TEST

/* Deleting whatever an unfiltered listing returns deletes every resource
 * of that kind the credential reaches (the Amazon Q wiper's "list and
 * delete cloud resources"); a filter or a test in the query chooses. */
START_TEST(deleting_all_a_listing_returns) {
  /* clang-format off */
  static const struct expect x[] = {
      {"Bash", "{\"command\":\"aws --profile prod ec2 terminate-instances --instance-ids $(aws --profile prod ec2 describe-instances --query 'Reservations[].Instances[].InstanceId' --output text)\"}", "cloud.delete_listed", 0.95f, 0.95f, NULL, D},
      {"Bash", "{\"command\":\"aws iam list-users --query 'Users[].UserName' --output text | xargs -n1 aws iam delete-user --user-name\"}", "cloud.delete_listed", 0.95f, 0.95f, NULL, D},
      {"Bash", "{\"command\":\"gcloud compute instances delete $(gcloud compute instances list --format='value(name)') --quiet\"}", "cloud.delete_listed", 0.95f, 0.95f, NULL, D},
      /* chosen by a filter, a test in the query, or a grep */
      {"Bash", "{\"command\":\"aws ec2 terminate-instances --instance-ids $(aws ec2 describe-instances --filters Name=tag:env,Values=preview-412 --query 'Reservations[].Instances[].InstanceId' --output text)\"}", "aws.ec2_terminate_instances", 0.85f, 0.9f, NULL, D},
      {"Bash", "{\"command\":\"aws ec2 describe-instances --query 'Reservations[].Instances[?State.Name==`stopped`].InstanceId' --output text | xargs aws ec2 terminate-instances --instance-ids\"}", "aws.ec2_terminate_instances", 0.85f, 0.9f, NULL, D},
      {"Bash", "{\"command\":\"aws ecr batch-delete-image --repository-name shop --image-ids \\\"$(aws ecr list-images --repository-name shop --filter tagStatus=UNTAGGED --query 'imageIds[*]' --output json)\\\"\"}", "aws.delete", 0.55f, 0.65f, NULL, D},
      {"Bash", "{\"command\":\"aws s3 ls | grep preview- | awk '{print $3}' | xargs -I{} aws s3 rb s3://{}\"}", "aws.s3_rb", 0.75f, 0.85f, NULL, D},
      {"Bash", "{\"command\":\"aws ec2 describe-instances --query 'Reservations[].Instances[].InstanceId' --output text\"}", NULL, 0, 0, NULL, R},
  };
  /* clang-format on */
  check_all(x, SR_ARRAY_LEN(x));
}
END_TEST

START_TEST(infrastructure_as_code) {
  /* clang-format off */
  static const struct expect x[] = {
      {"Bash", "{\"command\":\"terraform destroy -auto-approve\"}", "terraform.destroy", 0.9f, 1.0f, "stack", D},
      {"Bash", "{\"command\":\"terraform -chdir=infra apply -destroy -auto-approve\"}", "terraform.apply_destroy", 0.9f, 1.0f, NULL, D},
      {"Bash", "{\"command\":\"terraform state rm aws_instance.x\"}", "terraform.state_rm", 0.4f, 0.6f, NULL, D},
      {"Bash", "{\"command\":\"pulumi destroy --yes\"}", "pulumi.destroy", 0.9f, 1.0f, NULL, D},
      {"Bash", "{\"command\":\"cdk destroy --force\"}", "cdk.destroy", 0.9f, 1.0f, NULL, D},
      /* planning a destroy destroys nothing */
      {"Bash", "{\"command\":\"terraform plan -destroy\"}", NULL, 0, 0, NULL, R},
      {"Bash", "{\"command\":\"terraform plan\"}", NULL, 0, 0, NULL, R},
      {"Bash", "{\"command\":\"terraform apply -auto-approve\"}", NULL, 0, 0, NULL, W},
  };
  /* clang-format on */
  check_all(x, SR_ARRAY_LEN(x));
  ck_assert(
      !classify("Bash", "{\"command\":\"terraform state rm x\"}").irreversible);
}
END_TEST

/* A CLI's subcommand after flags that take a value (`pulumi -C infra
 * destroy`), and `pulumi stack rm --force`, which drops the state of a
 * stack that still has resources; a preview destroys nothing. */
START_TEST(subcommands_after_flags_with_values) {
  /* clang-format off */
  static const struct expect x[] = {
      {"Bash", "{\"command\":\"pulumi -C infra destroy --yes\"}", "pulumi.destroy", 0.95f, 0.95f, "stack", D},
      {"Bash", "{\"command\":\"pulumi --cwd infra destroy -y\"}", "pulumi.destroy", 0.95f, 0.95f, NULL, D},
      {"Bash", "{\"command\":\"pulumi destroy -C infra --yes\"}", "pulumi.destroy", 0.95f, 0.95f, NULL, D},
      {"Bash", "{\"command\":\"pulumi stack rm --force\"}", "pulumi.stack_rm_force", 0.95f, 0.95f, "stack", D},
      {"Bash", "{\"command\":\"pulumi -C infra stack rm dev -f --yes\"}", "pulumi.stack_rm_force", 0.95f, 0.95f, NULL, D},
      {"Bash", "{\"command\":\"flyctl -a shop-web destroy --yes\"}", "fly.apps_destroy", 1.0f, 1.0f, NULL, D},
      /* an empty stack, other subcommands, a preview */
      {"Bash", "{\"command\":\"pulumi stack rm dev --yes\"}", "pulumi.stack_rm", 0.6f, 0.6f, NULL, D},
      {"Bash", "{\"command\":\"pulumi -C infra up --yes\"}", NULL, 0, 0, NULL, W},
      {"Bash", "{\"command\":\"pulumi -C infra config rm dbPassword\"}", NULL, 0, 0, NULL, ANY},
      {"Bash", "{\"command\":\"pulumi --cwd infra stack ls\"}", NULL, 0, 0, NULL, ANY},
      {"Bash", "{\"command\":\"pulumi destroy --preview-only -C infra\"}", NULL, 0, 0, NULL, R},
  };
  /* clang-format on */
  check_all(x, SR_ARRAY_LEN(x));
}
END_TEST

START_TEST(kubernetes_helm_docker) {
  /* clang-format off */
  static const struct expect x[] = {
      {"Bash", "{\"command\":\"kubectl delete namespace prod\"}", "k8s.delete_namespace", 0.9f, 1.0f, "namespace", D},
      {"Bash", "{\"command\":\"kubectl --context prod-eu -n payments delete ns/payments\"}", "k8s.delete_namespace", 0.9f, 1.0f, NULL, D},
      {"Bash", "{\"command\":\"kubectl -n prod delete pvc data-0\"}", "k8s.delete_pvc", 0.8f, 0.9f, "volume", D},
      {"Bash", "{\"command\":\"kubectl delete statefulset db\"}", "k8s.delete_statefulset", 0.75f, 0.85f, NULL, D},
      {"Bash", "{\"command\":\"kubectl delete pods --all -n prod\"}", "k8s.delete_all", 0.85f, 0.95f, NULL, D},
      {"Bash", "{\"command\":\"kubectl delete pod api-123 -n ns\"}", "k8s.delete_pod", 0.35f, 0.45f, "pod", D},
      {"Bash", "{\"command\":\"kubectl drain node-1 --ignore-daemonsets\"}", "k8s.drain", 0.4f, 0.6f, NULL, D},
      {"Bash", "{\"command\":\"helm uninstall api -n prod\"}", "helm.uninstall", 0.6f, 0.8f, NULL, D},
      {"Bash", "{\"command\":\"docker volume rm pgdata\"}", "docker.volume_rm", 0.8f, 0.9f, "volume", D},
      {"Bash", "{\"command\":\"docker system prune -a --volumes -f\"}", "docker.system_prune_volumes", 0.8f, 0.9f, NULL, D},
      {"Bash", "{\"command\":\"docker compose down -v\"}", "docker.compose_down_volumes", 0.75f, 0.85f, NULL, D},
      /* look-alikes */
      {"Bash", "{\"command\":\"kubectl delete pod api-123 --dry-run=client\"}", NULL, 0, 0, NULL, R},
      {"Bash", "{\"command\":\"kubectl get pods -A\"}", NULL, 0, 0, NULL, R},
      {"Bash", "{\"command\":\"kubectl rollout status deployment/api -n prod\"}", NULL, 0, 0, NULL, R},
      {"Bash", "{\"command\":\"kubectl rollout history deploy/api\"}", NULL, 0, 0, NULL, R},
      {"Bash", "{\"command\":\"kubectl rollout restart deployment/api\"}", NULL, 0, 0, NULL, W},
      {"Bash", "{\"command\":\"kubectl rollout undo deployment/api\"}", NULL, 0, 0, NULL, W},
      {"Bash", "{\"command\":\"kubectl apply -f deploy.yaml\"}", NULL, 0, 0, NULL, W},
      {"Bash", "{\"command\":\"docker ps -a\"}", NULL, 0, 0, NULL, R},
      {"Bash", "{\"command\":\"helm list\"}", NULL, 0, 0, NULL, R},
  };
  /* clang-format on */
  check_all(x, SR_ARRAY_LEN(x));
  /* a pod comes back, a namespace does not */
  ck_assert(
      !classify("Bash", "{\"command\":\"kubectl delete pod x\"}").irreversible);
}
END_TEST

/* What loses a whole database, stack, project or cluster is catastrophic
 * (0.95 and up): a reset that empties every table, a stack deletion, a
 * project deletion by any name, every object of a cluster. */
START_TEST(whole_resource_losses) {
  /* clang-format off */
  static const struct expect x[] = {
      {"Bash", "{\"command\":\"npx prisma migrate reset --force\"}", "orm.db_reset", 0.95f, 0.95f, "database", D},
      {"Bash", "{\"command\":\"bin/rails db:reset\"}", "orm.db_reset", 0.95f, 0.95f, NULL, D},
      {"Bash", "{\"command\":\"php artisan migrate:fresh --seed\"}", "orm.db_reset", 0.95f, 0.95f, NULL, D},
      {"Bash", "{\"command\":\"aws cloudformation delete-stack --stack-name acme-prod\"}", "aws.cloudformation_delete_stack", 0.95f, 0.95f, "stack", D},
      {"mcp__neon__delete_project", "{\"projectId\":\"misty-river-41295817\"}", "generic.delete_project", 0.95f, 0.95f, "project", D},
      {"Bash", "{\"command\":\"kubectl delete all --all -A\"}", "k8s.delete_all_namespaces", 0.95f, 0.95f, "cluster", D},
      {"Bash", "{\"command\":\"kubectl delete deploy,sts,pvc --all-namespaces --all\"}", "k8s.delete_all_namespaces", 0.95f, 0.95f, NULL, D},
      /* one namespace, a selection, a branch, a migration */
      {"Bash", "{\"command\":\"kubectl delete pods --all -n preview-412\"}", "k8s.delete_all", 0.85f, 0.9f, NULL, D},
      {"Bash", "{\"command\":\"kubectl delete pods --field-selector=status.phase==Failed -A\"}", "k8s.delete_all", 0.85f, 0.9f, NULL, D},
      {"mcp__neon__delete_branch", "{\"projectId\":\"misty-river-41295817\",\"branchId\":\"br-preview\"}", "generic.delete_branch", 0.4f, 0.6f, NULL, D},
      {"Bash", "{\"command\":\"npx prisma migrate dev --name add_index\"}", NULL, 0, 0, NULL, ANY},
  };
  /* clang-format on */
  check_all(x, SR_ARRAY_LEN(x));
}
END_TEST

/* RAILS_ENV=test drops or resets the test database, which the test suite
 * rebuilds: weighed as a test environment (0.4). Production, no
 * environment, an environment exported in another command, or a
 * DATABASE_URL that says which database stay a whole database lost. */
START_TEST(a_test_database_is_not_production) {
  /* clang-format off */
  static const struct expect x[] = {
      {"Bash", "{\"command\":\"RAILS_ENV=test bin/rails db:drop\"}", "orm.db_drop", 0.4f, 0.4f, "database", D},
      {"Bash", "{\"command\":\"RAILS_ENV=test rake db:reset\"}", "orm.db_reset", 0.37f, 0.39f, NULL, D},
      {"Bash", "{\"command\":\"bundle exec rake db:drop db:create RAILS_ENV=test\"}", "orm.db_drop", 0.4f, 0.4f, NULL, D},
      {"Bash", "{\"command\":\"RACK_ENV=test bin/rails db:schema:load\"}", "orm.db_reset", 0.37f, 0.39f, NULL, D},
      {"Bash", "{\"command\":\"RAILS_ENV=production rails db:drop\"}", "orm.db_drop", 1.0f, 1.0f, NULL, D},
      {"Bash", "{\"command\":\"rails db:drop\"}", "orm.db_drop", 1.0f, 1.0f, NULL, D},
      {"Bash", "{\"command\":\"RAILS_ENV=testing bin/rails db:drop\"}", "orm.db_drop", 1.0f, 1.0f, NULL, D},
      {"Bash", "{\"command\":\"export RAILS_ENV=test && bin/rails db:drop\"}", "orm.db_drop", 1.0f, 1.0f, NULL, D},
      {"Bash", "{\"command\":\"DATABASE_URL=$PROD_DATABASE_URL RAILS_ENV=test bin/rails db:reset\"}", "orm.db_reset", 0.95f, 0.95f, NULL, D},
  };
  /* clang-format on */
  check_all(x, SR_ARRAY_LEN(x));
}
END_TEST

/* --- platforms, API names and the word form ------------------------------ */

START_TEST(api_names_in_every_spelling) {
  /* clang-format off */
  static const struct expect x[] = {
      /* camelCase tool name and GraphQL mutation: the PocketOS call */
      {"railway.volumeDelete", "{\"volumeId\":\"vol-1\"}", "graphql.volumeDelete", 0.9f, 1.0f, "volume", D},
      {"railway.graphql", "{\"query\":\"mutation { volumeDelete(volumeId: \\\"v1\\\") }\"}", "graphql.volumeDelete", 0.9f, 1.0f, "volume", D},
      {"railway.graphql", "{\"query\":\"mutation { projectDelete(id: \\\"p1\\\") }\"}", "graphql.projectDelete", 1.0f, 1.0f, "project", D},
      {"railway.graphql", "{\"query\":\"mutation { serviceDelete(id: \\\"s1\\\") }\"}", "graphql.serviceDelete", 0.8f, 0.9f, "service", D},
      /* MCP snake_case, PascalCase, kebab-case, colons */
      {"mcp__github__delete_repository", "{\"owner\":\"acme\",\"repo\":\"api\"}", "generic.delete_repo", 0.85f, 0.95f, "repo", D},
      {"mcp__supabase__delete_branch", "{\"branch_id\":\"b1\"}", "generic.delete_branch", 0.4f, 0.6f, "branch", D},
      {"mcp__aws__DeleteBucket", "{\"Bucket\":\"b\"}", "generic.delete_bucket", 0.8f, 0.9f, "bucket", D},
      {"neon.delete-project", "{\"projectId\":\"p1\"}", "generic.delete_project", 0.85f, 0.95f, "project", D},
      {"deleteDBInstance", "{\"DBInstanceIdentifier\":\"prod\"}", "generic.delete_database", 0.9f, 1.0f, "database", D},
      {"Bash", "{\"command\":\"heroku apps:destroy --app acme --confirm acme\"}", "heroku.apps_destroy", 1.0f, 1.0f, "app", D},
      {"Bash", "{\"command\":\"heroku pg:reset DATABASE_URL\"}", "heroku.pg_reset", 1.0f, 1.0f, "database", D},
      {"Bash", "{\"command\":\"fly volumes destroy vol_123\"}", "fly.volumes_destroy", 0.9f, 1.0f, "volume", D},
      {"Bash", "{\"command\":\"fly apps destroy acme -y\"}", "fly.apps_destroy", 1.0f, 1.0f, "app", D},
      {"Bash", "{\"command\":\"vercel remove acme --yes\"}", "vercel.remove", 0.8f, 0.9f, "project", D},
      {"Bash", "{\"command\":\"supabase db reset --linked\"}", "supabase.db_reset_linked", 1.0f, 1.0f, "database", D},
      {"Bash", "{\"command\":\"supabase db reset\"}", "supabase.db_reset", 0.5f, 0.7f, "database", D},
      {"Bash", "{\"command\":\"railway volume delete --volume pgdata\"}", "railway.volume_delete", 0.9f, 1.0f, "volume", D},
      /* the same resources, created or read */
      {"railway.graphql", "{\"query\":\"mutation { customDomainCreate(input: {domain: \\\"x.com\\\"}) { id } }\"}", NULL, 0, 0, "domain", W},
      {"railway.graphql", "{\"query\":\"query { project(id: \\\"p\\\") { name } }\"}", NULL, 0, 0, "project", R},
      {"mcp__github__get_file_contents", "{\"path\":\"scripts/delete_volume.sh\"}", NULL, 0, 0, "file", R},
      {"mcp__linear__list_issues", "{}", NULL, 0, 0, "issue", R},
  };
  /* clang-format on */
  check_all(x, SR_ARRAY_LEN(x));
  struct sr_op op = classify("customDomainCreate", "{\"domain\":\"x.com\"}");
  ck_assert_str_eq(or_dash(op.needed_scope), "domain:write");
  op = classify("railway.volumeDelete", "{\"volumeId\":\"vol-1\"}");
  ck_assert_str_eq(or_dash(op.needed_scope), "volume:delete");
  /* the match is shown as the agent wrote it */
  ck_assert_msg(str_is(op.matched, "volumeDelete"), "matched %.*s",
                (int)op.matched.n, op.matched.p);
}
END_TEST

START_TEST(http_methods) {
  /* clang-format off */
  static const struct expect x[] = {
      {"http.request", "{\"method\":\"DELETE\",\"url\":\"https://api.example.com/v1/volumes/vol-1\"}", "http.method_delete", 0.8f, 0.9f, "volume", D},
      {"Bash", "{\"command\":\"curl -X DELETE https://api.heroku.com/apps/acme\"}", "http.curl_delete", 0.8f, 0.9f, "app", D},
      {"Bash", "{\"command\":\"curl -s -X DELETE -H 'Authorization: Bearer x' https://api.example.com/v1/webhooks/7\"}", "http.curl_delete", 0.55f, 0.65f, "webhook", D},
      {"http.request", "{\"method\":\"GET\",\"url\":\"https://api.example.com/v1/volumes\"}", NULL, 0, 0, NULL, R},
      {"http.request", "{\"method\":\"POST\",\"url\":\"https://api.example.com/v1/volumes\"}", NULL, 0, 0, NULL, W},
      {"Bash", "{\"command\":\"curl -d '{\\\"a\\\":1}' https://api.example.com/v1/items\"}", NULL, 0, 0, NULL, W},
      /* reading the docs about deletion */
      {"Bash", "{\"command\":\"curl https://docs.railway.app/guides/delete-volume\"}", NULL, 0, 0, NULL, R},
      {"Bash", "{\"command\":\"cat docs/delete-volume.md\"}", NULL, 0, 0, NULL, R},
      {"WebFetch", "{\"url\":\"https://docs.example.com/how-to-delete-a-database\"}", NULL, 0, 0, NULL, R},
      {"mcp__docs__search_docs", "{\"query\":\"how to delete a volume\"}", NULL, 0, 0, NULL, R},
  };
  /* clang-format on */
  check_all(x, SR_ARRAY_LEN(x));
}
END_TEST

/* --- the parts of patterns read in C ------------------------------------ */

/* `select .. from`, `mutation {`, `create table` and where a grep or echo
 * starts a command are checked in C after a literal match: they must read
 * as the patterns did (caseless, \b and \s as Hyperscan has them). */
START_TEST(tails_read_in_c_as_patterns) {
  /* clang-format off */
  static const struct expect x[] = {
      {"exec", "SELECT id FROM users", NULL, 0, 0, NULL, R},
      {"exec", "select id, from_x from t", NULL, 0, 0, NULL, R},
      {"exec", "select 1 from", NULL, 0, 0, NULL, R},
      {"exec", "SELECT id; FROM users", NULL, 0, 0, NULL, N},
      {"exec", "SELECT id FROMAGE", NULL, 0, 0, NULL, N},
      {"exec", "SELECT xfrom", NULL, 0, 0, NULL, N},
      {"railway.graphql", "{\"query\":\"mutation Foo($x: ID) { a }\"}", NULL, 0, 0, NULL, W},
      {"railway.graphql", "{\"query\":\"mutation {\"}", NULL, 0, 0, NULL, W},
      {"exec", "mutationX (", NULL, 0, 0, NULL, W},
      {"railway.graphql", "{\"query\":\"mutation foo bar\"}", NULL, 0, 0, NULL, N},
      {"exec", "create or replace temporary view v", NULL, 0, 0, NULL, W},
      {"exec", "create unique index i", NULL, 0, 0, NULL, W},
      {"exec", "create materialized view m", NULL, 0, 0, NULL, W},
      {"exec", "create materialized-view m", NULL, 0, 0, NULL, N},
      {"exec", "create tablespace x", NULL, 0, 0, NULL, N},
      {"exec", "create temp x", NULL, 0, 0, NULL, N},
      /* a search or an echo that starts a command only mentions */
      {"Bash", "{\"command\":\"sudo grep -rn \\\"DROP TABLE users\\\" db.sql\"}", "sql.drop_table", 0.05f, 0.1f, NULL, R},
      {"Bash", "{\"command\":\"ls && grep \\\"DROP TABLE users\\\" db.sql\"}", "sql.drop_table", 0.05f, 0.1f, NULL, R},
      {"Bash", "{\"command\":\"(egrep \\\"DROP TABLE t\\\")\"}", "sql.drop_table", 0.05f, 0.1f, NULL, R},
      {"Bash", "grep \"DROP TABLE users\" db.sql", "sql.drop_table", 0.05f, 0.1f, NULL, R},
      {"Bash", "cd / \\n  git grep \"DROP TABLE users\"", "sql.drop_table", 0.05f, 0.1f, NULL, R},
      {"Bash", "{\"command\":\"ls; echo \\\"DROP TABLE t\\\"\"}", "sql.drop_table", 0.15f, 0.2f, NULL, R},
      /* ... one inside a word or an argument does not */
      {"Bash", "{\"command\":\"mygrep \\\"DROP TABLE users\\\" db.sql\"}", "sql.drop_table", 0.85f, 0.95f, NULL, D},
      {"Bash", "{\"command\":\"x sudo grep \\\"DROP TABLE users\\\" db.sql\"}", "sql.drop_table", 0.85f, 0.95f, NULL, D},
  };
  /* clang-format on */
  check_all(x, SR_ARRAY_LEN(x));
}
END_TEST

/* The flags and arguments of rm and of CLIs such as terraform are read in C
 * (as patterns they ran automata over every such command): the same rule,
 * severity and matched text as the patterns gave, which these expectations
 * were taken from. */
START_TEST(rm_and_cli_flags_read_in_c_as_patterns) {
  static const struct {
    const char *tool, *args, *rule;
    float destructive;
    const char *matched;
  } x[] = {
      /* clang-format off */
      {"Bash", "{\"command\":\"rm -v -r -i --force ./src ~/x\"}", "shell.rm_rf", 0.60f, "rm -v -r -i --force"},
      {"Bash", "{\"command\":\"rm -f -v --recursive \\\"$OUT\\\"/* && ls\"}", "shell.rm_rf_var_root", 0.95f, "rm -f -v --recursive \"$OUT\"/*"},
      {"Bash", "{\"command\":\"rm -Rf;echo / done\"}", "shell.rm_rf", 0.60f, "rm -Rf"},
      {"Bash", "{\"command\":\"rm -rf --one-file-system a b /etc/ssl c\"}", "shell.rm_rf", 0.60f, "rm -rf"},
      {"Bash", "{\"command\":\"rm -rf a b ./ c; rm -r x\"}", "shell.rm_rf_cwd", 0.95f, "rm -rf a b ./"},
      {"Bash", "{\"command\":\"sudo -E -H rm -f notes.txt\"}", "shell.rm", 0.25f, "sudo -E -H rm -f n"},
      {"Bash", "{\"command\":\"cd x && RM -FR .git/\"}", "shell.rm_rf_git", 0.80f, "RM -FR .git/"},
      {"Bash", "{\"command\":\"./rm -rf / ; x-rm -rf /\"}", NULL, 0.00f, ""},
      {"Bash", "{\"command\":\"vercel env rm KEY && rm -- -f\"}", NULL, 0.00f, ""},
      /* a data store's files: whatever the flags (data_store_files) */
      {"Bash", "{\"command\":\"rm -r /var/lib/mysql/ibdata1 /home/bob\"}", "shell.rm_datastore", 0.95f, "/var/lib/mysql/ibdata1"},
      {"Bash", "{\"command\":\"rm --recursive -v --force /Users/ann/*\"}", "shell.rm_rf_home", 0.95f, "rm --recursive -v --force /Users/ann/*"},
      {"exec", "rm -rf $HOME/\n", "shell.rm_rf_home", 0.95f, "rm -rf $HOME/"},
      {"exec", "\\nrm x", "shell.rm", 0.25f, "nrm x"},
      {"Bash", "{\"command\":\"terraform -chdir=infra -no-color destroy -auto-approve\"}", "terraform.destroy", 0.95f, "terraform -chdir=infra -no-color destroy"},
      {"Bash", "{\"command\":\"tofu apply -auto-approve -var x=1 -destroy\"}", "terraform.apply_destroy", 0.95f, "tofu apply -auto-approve -var x=1 -destroy"},
      {"Bash", "{\"command\":\"terraform apply -auto-approve; echo -destroy\"}", NULL, 0.00f, ""},
      {"Bash", "{\"command\":\"terraform apply x -destroyer -destroy=true\"}", "terraform.apply_destroy", 0.95f, "terraform apply x -destroyer -destroy"},
      {"Bash", "{\"command\":\"TERRAFORM state rm module.db && terraform state list\"}", "terraform.state_rm", 0.50f, "TERRAFORM state rm"},
      {"Bash", "{\"command\":\"terraform -x workspace delete staging\"}", "terraform.workspace_delete", 0.50f, "terraform -x workspace delete"},
      {"Bash", "{\"command\":\"terragrunt run-all destroy\"}", "terraform.destroy", 0.95f, "terragrunt run-all destroy"},
      {"Bash", "{\"command\":\"terraform plan -destroy -out=x\"}", NULL, 0.00f, ""},
      {"Bash", "{\"command\":\"pulumi -C infra --non-interactive destroy --yes\"}", "pulumi.destroy", 0.95f, "pulumi -C infra --non-interactive destroy"},
      {"Bash", "{\"command\":\"pulumi stack rm dev && pulumi stack rmx\"}", "pulumi.stack_rm", 0.60f, "pulumi stack rm"},
      {"Bash", "{\"command\":\"fly apps destroy my-app; flyctl -a x destroy\"}", "fly.apps_destroy", 1.00f, "fly apps destroy"},
      {"Bash", "{\"command\":\"vercel --token=t rm my-app\"}", "vercel.remove", 0.85f, "vercel --token=t rm"},
      {"Bash", "{\"command\":\"sls -v remove --stage prod\"}", "serverless.remove", 0.90f, "sls -v remove"},
      /* build output and temp files damp an rm (mask.rm_build) */
      {"Bash", "{\"command\":\"rm -rf ./node_modules dist/ .next/*\"}", "shell.rm_rf", 0.24f, "rm -rf"},
      {"Bash", "{\"command\":\"rm -rf /tmp/build-x ./dist; ls\"}", "shell.rm_rf", 0.24f, "rm -rf"},
      {"Bash", "{\"command\":\"rm -f $TMPDIR/ yarn.lock src\"}", "shell.rm", 0.25f, "rm -f $"},
      {"exec", "rm -r -f coverage/*)", "shell.rm_rf", 0.24f, "rm -r -f"},
      /* clang-format on */
  };
  for (size_t i = 0; i < SR_ARRAY_LEN(x); i++) {
    struct sr_op op = classify(x[i].tool, x[i].args);
    ck_assert_msg(x[i].rule ? op.rule && strcmp(op.rule, x[i].rule) == 0
                            : op.rule == NULL,
                  "%s: rule %s, expected %s", x[i].args, or_dash(op.rule),
                  or_dash(x[i].rule));
    ck_assert_msg(op.destructive > x[i].destructive - 0.001f &&
                      op.destructive < x[i].destructive + 0.001f,
                  "%s: destructive %.2f, expected %.2f", x[i].args,
                  op.destructive, x[i].destructive);
    ck_assert_msg(str_is(op.matched, x[i].matched),
                  "%s: matched '%.*s', expected '%s'", x[i].args,
                  (int)op.matched.n, op.matched.p, x[i].matched);
  }
}
END_TEST

/* --- mentions, dry runs, segments ---------------------------------------- */

START_TEST(mentions_are_not_executions) {
  /* grep and echo mention a command; piping the echo into psql runs it */
  struct sr_op op =
      classify("Bash", "{\"command\":\"grep -rn 'rm -rf' scripts/\"}");
  ck_assert_float_le(op.destructive, 0.1f);
  ck_assert(!op.mutating);
  op = classify("Bash", "{\"command\":\"echo \\\"DROP TABLE users\\\"\"}");
  ck_assert_float_le(op.destructive, 0.2f);
  ck_assert_int_eq(op.verb, SR_VERB_READ);
  op = classify("Bash", "{\"command\":\"echo 'DROP TABLE users;' | psql\"}");
  ck_assert_str_eq(or_dash(op.rule), "sql.drop_table");
  ck_assert_float_ge(op.destructive, 0.85f);
  ck_assert_int_eq(op.verb, SR_VERB_DELETE);
  /* a commit message is text */
  op = classify(
      "Bash",
      "{\"command\":\"git commit -m \\\"delete old volume handling\\\"\"}");
  ck_assert_float_le(op.destructive, 0.1f);
  ck_assert_int_eq(op.verb, SR_VERB_WRITE);
  /* ... but the next command is not part of it */
  op = classify("Bash",
                "{\"command\":\"git commit -m wip && git push --force\"}");
  ck_assert_str_eq(or_dash(op.rule), "git.push_force");
  /* an echo before a separator does not excuse what follows */
  op = classify("Bash", "{\"command\":\"echo hi; rm -rf /\"}");
  ck_assert_float_eq_tol(op.destructive, 1.0f, 0.001f);
  /* a dry-run flag in a comment is not a dry run */
  op = classify("Bash", "{\"command\":\"kubectl delete ns prod # --dry-run\"}");
  ck_assert_float_ge(op.destructive, 0.9f);
  /* the description a coding agent attaches is prose, not a command */
  op = classify("Bash",
                "{\"command\":\"ls\",\"description\":\"then delete the "
                "production database\"}");
  ck_assert_float_eq(op.destructive, 0.0f);
  ck_assert_int_eq(op.verb, SR_VERB_READ);
  /* ... and so is Cursor's explanation */
  op = classify("run_terminal_cmd",
                "{\"command\":\"npm test\",\"is_background\":false,"
                "\"explanation\":\"Drop the test database and rerun\"}");
  ck_assert_float_eq(op.destructive, 0.0f);
  /* extra blanks do not hide a command */
  op = classify("Bash", "{\"command\":\"rm   -rf    /\"}");
  ck_assert_str_eq(or_dash(op.rule), "shell.rm_rf_root");
}
END_TEST

START_TEST(content_tools_are_not_scanned) {
  /* clang-format off */
  static const struct expect x[] = {
      {"Write", "{\"file_path\":\"migrate.sql\",\"content\":\"DROP TABLE users;\"}", NULL, 0, 0, "file", W},
      {"Edit", "{\"file_path\":\"Makefile\",\"old_string\":\"a\",\"new_string\":\"rm -rf build\"}", NULL, 0, 0, "file", W},
      {"Read", "{\"file_path\":\"/docs/drop-table.md\"}", NULL, 0, 0, "file", R},
      {"Grep", "{\"pattern\":\"rm -rf /\"}", NULL, 0, 0, NULL, R},
      {"TodoWrite", "{\"todos\":[{\"content\":\"delete the volume\"}]}", NULL, 0, 0, NULL, N},
      {"mcp__github__create_issue", "{\"title\":\"rm -rf / crashed\",\"body\":\"DROP TABLE users\"}", NULL, 0, 0, "issue", W},
  };
  /* clang-format on */
  check_all(x, SR_ARRAY_LEN(x));
  struct sr_op op = classify("Edit", "{\"file_path\":\"a.c\"}");
  ck_assert_str_eq(or_dash(op.needed_scope), "file:write");
}
END_TEST

START_TEST(shell_read_write_classifier) {
  /* clang-format off */
  static const struct expect x[] = {
      {"Bash", "ls -la", NULL, 0, 0, NULL, R},
      {"Bash", "{\"command\":\"cat package.json | jq .version\"}", NULL, 0, 0, NULL, R},
      {"Bash", "{\"command\":\"ls 2>/dev/null | head\"}", NULL, 0, 0, NULL, R},
      {"Bash", "{\"command\":\"ls > out.txt\"}", NULL, 0, 0, NULL, W},
      {"Bash", "{\"command\":\"mv build /srv/site\"}", NULL, 0, 0, NULL, W},
      {"Bash", "{\"command\":\"sed -i 's/a/b/' x.txt\"}", NULL, 0, 0, NULL, W},
      {"Bash", "{\"command\":\"sed -n 1,5p x.txt\"}", NULL, 0, 0, NULL, R},
      {"Bash", "{\"command\":\"npm install\"}", NULL, 0, 0, NULL, W},
      {"Bash", "{\"command\":\"npm test\"}", NULL, 0, 0, NULL, N},
      {"Bash", "{\"command\":\"cd /app && git diff HEAD~1\"}", NULL, 0, 0, NULL, R},
      /* the second command of a chain counts too */
      {"Bash", "{\"command\":\"git fetch origin && git rebase origin/main\"}", NULL, 0, 0, NULL, W},
      /* a pod named checkout-... is no git checkout */
      {"Bash", "{\"command\":\"kubectl logs checkout-5c9d8f6b7-4xq2n --tail=20\"}", NULL, 0, 0, NULL, R},
      {"Bash", "{\"command\":\"sudo systemctl restart nginx\"}", NULL, 0, 0, NULL, W},
      {"Bash", "{\"command\":\"python scripts/report.py\"}", NULL, 0, 0, NULL, N},
      {"run_terminal_cmd", "{\"command\":\"docker build -t api .\",\"is_background\":false}", NULL, 0, 0, NULL, N},
      {"run_terminal_cmd", "{\"command\":\"docker run -d api\",\"is_background\":false}", NULL, 0, 0, NULL, W},
      /* a database client running a script file: its statements are not
       * in the text, so it may write (a plan-mode session must not) */
      {"Bash", "{\"command\":\"psql -h prod-db -U admin -d shop -f migrate.sql\"}", NULL, 0, 0, NULL, W},
      {"Bash", "{\"command\":\"PGPASSWORD=x psql \\\"$DATABASE_URL\\\" --file=patches/0042.sql\"}", NULL, 0, 0, NULL, W},
      {"Bash", "{\"command\":\"mysql -h prod shop < migrations/0042_fix.sql\"}", NULL, 0, 0, NULL, W},
      {"Bash", "{\"command\":\"mysql -e \\\"source /tmp/patch.sql\\\" shop\"}", NULL, 0, 0, NULL, W},
      {"Bash", "{\"command\":\"sqlite3 app.db \\\".read seed.sql\\\"\"}", NULL, 0, 0, NULL, W},
      {"Bash", "{\"command\":\"mongosh mongodb://prod/shop --file cleanup.js\"}", NULL, 0, 0, NULL, W},
      {"Bash", "{\"command\":\"cqlsh -f schema.cql\"}", NULL, 0, 0, NULL, W},
      /* ... otherwise its SQL decides: a comparison is no redirect */
      {"Bash", "{\"command\":\"psql -c \\\"SELECT id FROM orders WHERE created_at < now()\\\"\"}", NULL, 0, 0, NULL, R},
      {"Bash", "{\"command\":\"mongosh mongodb://prod/shop --eval \\\"db.orders.find({}).limit(5)\\\"\"}", NULL, 0, 0, NULL, R},
      {"Bash", "{\"command\":\"psql\"}", NULL, 0, 0, NULL, N},
  };
  /* clang-format on */
  check_all(x, SR_ARRAY_LEN(x));
  /* not a tool call: nothing at all */
  struct sr_event ev = tool_call("Bash", "rm -rf /");
  ev.type = SR_EV_AGENT_MESSAGE;
  struct sr_op op;
  sr_catalogue_classify(cat, scr, &ev, &op);
  ck_assert_int_eq(op.verb, SR_VERB_NONE);
  ck_assert_float_eq(op.destructive, 0.0f);
  ck_assert_ptr_null(op.rule);
}
END_TEST

/* Schema migrations and seeds change a database, though no word of them
 * reads as a deletion: a plan-mode session must not run them unseen. A
 * package script's name is all we see of it; the script runners' other
 * words (test, build) say nothing. */
START_TEST(migrations_and_package_scripts) {
  /* clang-format off */
  static const struct expect x[] = {
      {"Bash", "{\"command\":\"npm run db:migrate\"}", NULL, 0, 0, NULL, W},
      {"Bash", "{\"command\":\"yarn run db:seed\"}", NULL, 0, 0, NULL, W},
      {"Bash", "{\"command\":\"pnpm run deploy:prod\"}", NULL, 0, 0, NULL, W},
      {"Bash", "{\"command\":\"npm run test\"}", NULL, 0, 0, NULL, N},
      {"Bash", "{\"command\":\"npm run build:prod\"}", NULL, 0, 0, NULL, N},
      {"Bash", "{\"command\":\"uv run pytest -q\"}", NULL, 0, 0, NULL, N},
      {"Bash", "{\"command\":\"rails db:migrate\"}", NULL, 0, 0, NULL, W},
      {"Bash", "{\"command\":\"bin/rails db:migrate RAILS_ENV=staging\"}", NULL, 0, 0, NULL, W},
      {"Bash", "{\"command\":\"rake db:seed\"}", NULL, 0, 0, NULL, W},
      {"Bash", "{\"command\":\"rails console\"}", NULL, 0, 0, NULL, N},
      {"Bash", "{\"command\":\"python manage.py migrate\"}", NULL, 0, 0, NULL, W},
      {"Bash", "{\"command\":\"/usr/bin/python3 manage.py migrate --database=default\"}", NULL, 0, 0, NULL, W},
      {"Bash", "{\"command\":\"python3 manage.py showmigrations\"}", NULL, 0, 0, NULL, N},
      {"Bash", "{\"command\":\"python -m pip install requests\"}", NULL, 0, 0, NULL, W},
      {"Bash", "{\"command\":\"python -m pytest tests/\"}", NULL, 0, 0, NULL, N},
      {"Bash", "{\"command\":\"php artisan migrate --force\"}", NULL, 0, 0, NULL, W},
      {"Bash", "{\"command\":\"alembic upgrade head\"}", NULL, 0, 0, NULL, W},
      {"Bash", "{\"command\":\"alembic downgrade -1\"}", NULL, 0, 0, NULL, W},
      {"Bash", "{\"command\":\"alembic history\"}", NULL, 0, 0, NULL, R},
      {"Bash", "{\"command\":\"liquibase update\"}", NULL, 0, 0, NULL, W},
  };
  /* clang-format on */
  check_all(x, SR_ARRAY_LEN(x));
}
END_TEST

/* --- environment, inventory, credentials -------------------------------- */

START_TEST(environment_aliases_and_inventory) {
  struct sr_event ev = tool_call("Bash", "{\"command\":\"ls\"}");
  struct sr_op op;
  ev.environment = SR_STR_LIT("prod");
  sr_catalogue_classify(ccat, cscr, &ev, &op);
  ck_assert(str_is(op.environment, "production"));
  ev.environment = SR_STR_NULL;
  ev.target.environment = SR_STR_LIT("STG");
  sr_catalogue_classify(ccat, cscr, &ev, &op);
  ck_assert(str_is(op.environment, "staging"));
  ev.target.environment = SR_STR_LIT("dev");
  sr_catalogue_classify(ccat, cscr, &ev, &op);
  ck_assert(str_is(op.environment, "development"));

  /* a target known to the inventory brings its environment and backups */
  ev = tool_call("railway.volumeDelete", "{\"volumeId\":\"x\"}");
  ev.target.id = SR_STR_LIT("vol-prod-main");
  sr_catalogue_classify(ccat, cscr, &ev, &op);
  ck_assert(str_is(op.target_id, "vol-prod-main"));
  ck_assert(str_is(op.environment, "production"));
  ck_assert_int_eq(op.backups, SR_BACKUPS_CO_LOCATED);
  /* what the event says wins over the inventory */
  ev.target.backups = SR_BACKUPS_OFF_SITE;
  ev.environment = SR_STR_LIT("staging");
  sr_catalogue_classify(ccat, cscr, &ev, &op);
  ck_assert_int_eq(op.backups, SR_BACKUPS_OFF_SITE);
  ck_assert(str_is(op.environment, "staging"));

  /* no target in the event: a configured id in the arguments */
  ev = tool_call("railway.graphql",
                 "{\"query\":\"mutation { volumeDelete(volumeId: "
                 "\\\"vol-prod-main\\\") }\"}");
  sr_catalogue_classify(ccat, cscr, &ev, &op);
  ck_assert_msg(str_is(op.target_id, "vol-prod-main"), "target %.*s",
                (int)op.target_id.n, op.target_id.p);
  ck_assert(str_is(op.environment, "production"));
  ck_assert_int_eq(op.backups, SR_BACKUPS_CO_LOCATED);
  ck_assert_str_eq(or_dash(op.rule), "graphql.volumeDelete");
  /* ... only as a whole id, not inside a longer one */
  ev = tool_call("Bash",
                 "{\"command\":\"railway volume delete vol-prod-main-2\"}");
  sr_catalogue_classify(ccat, cscr, &ev, &op);
  ck_assert_uint_eq(op.target_id.n, 0);
  ck_assert_int_eq(op.backups, SR_BACKUPS_UNKNOWN);
  /* unknown to the inventory: nothing invented */
  ev = tool_call("Bash", "{\"command\":\"ls\"}");
  ev.target.id = SR_STR_LIT("vol-elsewhere");
  sr_catalogue_classify(ccat, cscr, &ev, &op);
  ck_assert(str_is(op.target_id, "vol-elsewhere"));
  ck_assert_uint_eq(op.environment.n, 0);
}
END_TEST

START_TEST(credential_registry_completes_the_event) {
  struct sr_event ev = tool_call("railway.volumeDelete", "{}");
  struct sr_op op;
  /* only an id: the registry says what it can do and what it is for */
  ev.credential.id = SR_STR_LIT("railway-cli-token");
  sr_catalogue_classify(ccat, cscr, &ev, &op);
  ck_assert(str_is(op.credential.id, "railway-cli-token"));
  ck_assert(op.credential.known);
  ck_assert_uint_eq(op.credential.n_scopes, 1);
  ck_assert(str_is(op.credential.scopes[0], "*"));
  ck_assert(str_is(op.credential.purpose, "custom-domain management"));
  ck_assert_uint_eq(op.credential.n_environments, 2);
  ck_assert(str_is(op.credential.environments[0], "production"));
  ck_assert(str_is(op.credential.environments[1], "staging"));

  /* scopes sent with the event win; the rest still comes from the registry */
  ev.credential.scopes_given = true;
  ev.credential.scopes.v[0] = SR_STR_LIT("domain:write");
  ev.credential.scopes.n = 1;
  ev.credential.environments.v[0] = SR_STR_LIT("live");
  ev.credential.environments.n = 1;
  sr_catalogue_classify(ccat, cscr, &ev, &op);
  ck_assert(op.credential.known);
  ck_assert(str_is(op.credential.scopes[0], "domain:write"));
  ck_assert(str_is(op.credential.purpose, "custom-domain management"));
  ck_assert_uint_eq(op.credential.n_environments, 1);
  ck_assert(str_is(op.credential.environments[0], "production"));

  /* registered without scopes, or not registered: scopes unknown */
  memset(&ev.credential, 0, sizeof(ev.credential));
  ev.credential.id = SR_STR_LIT("ci-deploy");
  sr_catalogue_classify(ccat, cscr, &ev, &op);
  ck_assert(!op.credential.known);
  ck_assert(str_is(op.credential.purpose, "deploys"));
  ev.credential.id = SR_STR_LIT("found-in-dotenv");
  sr_catalogue_classify(ccat, cscr, &ev, &op);
  ck_assert(!op.credential.known);
  ck_assert_uint_eq(op.credential.purpose.n, 0);
  /* no credential at all */
  memset(&ev.credential, 0, sizeof(ev.credential));
  sr_catalogue_classify(ccat, cscr, &ev, &op);
  ck_assert_uint_eq(op.credential.id.n, 0);
}
END_TEST

/* --- configuration -------------------------------------------------------- */

START_TEST(configured_entries_extend_the_catalogue) {
  ck_assert_uint_eq(sr_catalogue_size(ccat), sr_catalogue_size(cat) + 2);
  ck_assert_uint_ge(sr_catalogue_size(cat), 150);
  struct sr_event ev =
      tool_call("Bash", "{\"command\":\"acme   tenant nuke t-42\"}");
  struct sr_op op;
  sr_catalogue_classify(ccat, cscr, &ev, &op);
  ck_assert_str_eq(or_dash(op.rule), "acme.nuke_tenant");
  ck_assert_float_eq_tol(op.destructive, 0.95f, 0.001f);
  ck_assert(op.irreversible);
  ck_assert_str_eq(or_dash(op.resource), "tenant");
  ck_assert_str_eq(or_dash(op.needed_scope), "tenant:delete");
  /* a word entry matches camelCase API names too */
  ev = tool_call("queue.purgeQueueNow", "{}");
  sr_catalogue_classify(ccat, cscr, &ev, &op);
  ck_assert_str_eq(or_dash(op.rule), "acme.purge_queue");
  ck_assert(!op.irreversible);
  /* the built-in catalogue alone does not know them */
  ev = tool_call("Bash", "{\"command\":\"acme tenant nuke t-42\"}");
  sr_catalogue_classify(cat, scr, &ev, &op);
  ck_assert_ptr_null(op.rule);
}
END_TEST

/* Builds a catalogue from yaml, expecting failure; returns the error. */
static void expect_error(const char *yaml, const char *want1,
                         const char *want2) {
  char err[512] = "";
  struct sr_conf *c = sr_conf_load_string(yaml, "cat.yaml", err, sizeof(err));
  ck_assert_msg(c, "yaml: %s", err);
  struct sr_catalogue *bad =
      sr_catalogue_create(sr_conf_root(c), err, sizeof(err));
  ck_assert_msg(!bad, "accepted: %s", yaml);
  ck_assert_msg(strstr(err, want1), "error '%s' lacks '%s'", err, want1);
  ck_assert_msg(strstr(err, want2), "error '%s' lacks '%s'", err, want2);
  sr_conf_destroy(c);
}

START_TEST(config_errors_name_entry_and_line) {
  expect_error(
      "catalogue:\n"
      "  destructive:\n"
      "    - name: acme.broken\n"
      "      pattern: 'acme(('\n"
      "      severity: 0.5\n",
      "cat.yaml:4", "acme.broken");
  expect_error(
      "catalogue:\n"
      "  destructive:\n"
      "    - name: acme.too_bad\n"
      "      pattern: acme\n"
      "      severity: 1.5\n",
      "cat.yaml:5", "severity");
  expect_error(
      "catalogue:\n"
      "  destructive:\n"
      "    - name: acme.typo\n"
      "      pattern: acme\n"
      "      severity: 0.5\n"
      "      severety: 0.5\n",
      "cat.yaml:6", "severety");
  expect_error(
      "catalogue:\n"
      "  destructive:\n"
      "    - name: acme.nothing\n"
      "      severity: 0.5\n",
      "cat.yaml:3", "pattern");
  expect_error(
      "catalogue:\n"
      "  destructive:\n"
      "    - name: shell.rm_rf_root\n"
      "      pattern: x\n"
      "      severity: 0.5\n",
      "cat.yaml:3", "duplicate");
  expect_error(
      "resources:\n"
      "  - id: vol-1\n"
      "    backups: same-rack\n",
      "cat.yaml:3", "co-located");
  expect_error(
      "credentials:\n"
      "  - id: t1\n"
      "  - id: t1\n",
      "cat.yaml:3", "duplicate");
  expect_error(
      "credentials:\n"
      "  - scopes: [a]\n",
      "cat.yaml:2", "id");
  expect_error(
      "catalogue:\n"
      "  destructiv: []\n",
      "cat.yaml:2", "destructiv");
}
END_TEST

/* --- bounds and scratch reuse --------------------------------------------- */

START_TEST(large_arguments_are_bounded) {
  /* 200 KiB of arguments: the raw scan still sees the end, the word form
   * stops at its bound without overrunning anything */
  size_t n = 200 * 1024;
  char *args = malloc(n + 64);
  ck_assert_ptr_nonnull(args);
  memset(args, 'a', n);
  for (size_t i = 7; i < n; i += 8) args[i] = ' ';
  strcpy(args + n, "; rm -rf / ; volumeDelete");
  struct sr_op op = classify("Bash", args);
  ck_assert_str_eq(or_dash(op.rule), "shell.rm_rf_root");
  /* a view into the event, not past it */
  ck_assert(op.matched.p >= args &&
            op.matched.p + op.matched.n <= args + n + 64);
  free(args);
  /* an empty call */
  op = classify("", "");
  ck_assert_int_eq(op.verb, SR_VERB_NONE);
}
END_TEST

/* The word form is only built when the raw text has a verb of the word
 * rules where it can end a word: before a blank, punctuation, an upper-case
 * letter or the end; never inside deleted_at. Each verb in each of those
 * places must still be read, in any case. */
START_TEST(word_rules_see_a_verb_wherever_it_ends_a_word) {
  static const char *const verbs[] = {
      "delete", "deletes",   "destroy", "remove", "purge", "wipe",
      "drop",   "terminate", "nuke",    "erase",  "reset"};
  for (size_t v = 0; v < sizeof(verbs) / sizeof(verbs[0]); v++) {
    const char *rule = strcmp(verbs[v], "reset") == 0
                           ? "api.reset_database"
                           : "generic.delete_database";
    char lower[16], upper[16], cap[16];
    size_t n = strlen(verbs[v]);
    for (size_t i = 0; i <= n; i++) {
      lower[i] = verbs[v][i];
      upper[i] = (char)(verbs[v][i] >= 'a' ? verbs[v][i] - 32 : verbs[v][i]);
      cap[i] = i == 0 ? upper[i] : lower[i];
    }
    char tool[64], args[6][96];
    snprintf(args[0], sizeof(args[0]), "{\"command\":\"ops %s_database now\"}",
             lower);
    snprintf(args[1], sizeof(args[1]), "{\"command\":\"ops database %s\"}",
             lower);
    snprintf(args[2], sizeof(args[2]), "{\"q\":\"%sDatabase\"}", upper);
    snprintf(args[3], sizeof(args[3]), "{\"q\":\"%sDatabase\"}", lower);
    snprintf(args[4], sizeof(args[4]), "{\"q\":\"%s production database\"}",
             cap);
    snprintf(args[5], sizeof(args[5]), "ops database %s", lower); /* end */
    for (int k = 0; k < 6; k++) {
      struct sr_op op = classify("mcp__ops__run", args[k]);
      ck_assert_msg(op.rule && strcmp(op.rule, rule) == 0, "%s: rule %s",
                    args[k], or_dash(op.rule));
    }
    snprintf(tool, sizeof(tool), "mcp__x__database%s", cap);
    struct sr_op op = classify(tool, "{}");
    ck_assert_msg(op.rule && strcmp(op.rule, rule) == 0, "%s: rule %s", tool,
                  or_dash(op.rule));
  }
  struct sr_op op = classify("Bash", "{\"command\":\"ops database rm\"}");
  ck_assert_str_eq(or_dash(op.rule), "generic.delete_database");
  /* the verb inside a longer word is no verb */
  op = classify("mcp__ops__run", "{\"q\":\"deleted_database removed\"}");
  ck_assert_ptr_null(op.rule);
}
END_TEST

/* The word form cuts a token at 256 bytes, which can end a verb's word in
 * the middle of raw letters: in a text that long, the verb anywhere builds
 * the word form. */
START_TEST(word_rules_see_a_verb_cut_at_the_token_bound) {
  char args[400] = "{\"q\":\"", *p = args + strlen(args);
  for (int i = 0; i < 120; i++, p += 2) memcpy(p, "x_", 2);
  strcpy(p, "_database_deletezzzz end\"}"); /* the cut falls after delete */
  struct sr_op op = classify("mcp__ops__run", args);
  ck_assert_str_eq(or_dash(op.rule), "generic.delete_database");
}
END_TEST

/* What a tool name says is read once per name and kept: names (more than
 * are kept, four of the same length) called with new arguments each time
 * keep their own verb, rule, resource and shown words. */
START_TEST(tool_names_keep_their_own_reading) {
  static const struct {
    const char *tool, *rule, *resource, *matched;
    int verb;
  } x[] = {
      {"mcp__x__delete_item", NULL, NULL, "", D},
      {"mcp__x__update_item", NULL, NULL, "", W},
      {"mcp__x__fetch_items", NULL, NULL, "", R},
      {"mcp__x__table_purge", "generic.delete_table", "table", "table_purge",
       D},
      {"railway.volumeDelete", "graphql.volumeDelete", "volume", "volumeDelete",
       D},
      {"mcp__x__bucket_list", NULL, "bucket", "", R},
  };
  /* three names in turn (each read back from what was kept), then all six
   * (each replacing an older one) */
  static const int order[] = {3, 4, 1, 3, 4, 1, 3, 4, 1, 0, 1, 2, 3, 4,
                              5, 0, 1, 2, 3, 4, 5, 5, 4, 3, 2, 1, 0};
  for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
    size_t i = (size_t)order[k];
    char args[32];
    snprintf(args, sizeof(args), "{\"n\":%d}", (int)k);
    struct sr_op op = classify(x[i].tool, args);
    const char *what = x[i].tool;
    ck_assert_msg(x[i].rule ? op.rule && !strcmp(op.rule, x[i].rule) : !op.rule,
                  "%s: rule %s", what, or_dash(op.rule));
    ck_assert_msg(x[i].resource
                      ? op.resource && !strcmp(op.resource, x[i].resource)
                      : !op.resource,
                  "%s: resource %s", what, or_dash(op.resource));
    ck_assert_msg((int)op.verb == x[i].verb, "%s: verb %d", what, op.verb);
    ck_assert_msg(str_is(op.matched, x[i].matched), "%s: matched '%.*s'", what,
                  (int)op.matched.n, op.matched.p);
  }
  /* whether the arguments are data (not scanned) is kept with the name */
  for (int k = 0; k < 6; k++) {
    char args[48];
    snprintf(args, sizeof(args), "{\"sql\":\"DROP TABLE t%d\"}", k);
    struct sr_op op = classify(k % 2 ? "mcp__x__run_records"
                                     : "mcp__x__get_records", args);
    if (k % 2)
      ck_assert_str_eq(or_dash(op.rule), "sql.drop_table");
    else
      ck_assert_msg(!op.rule && op.verb == R, "%s: rule %s verb %d", args,
                    or_dash(op.rule), op.verb);
  }
}
END_TEST

/* A GraphQL document acts on its first resource noun, wherever it stands:
 * the word form of a document without a destructive verb stops there, so
 * a later noun, one in a path or file name it takes back, or the second
 * noun of the same name must not be the one read. */
START_TEST(graphql_acts_on_its_first_noun) {
  /* clang-format off */
  static const struct expect x[] = {
      {"railway.graphql", "{\"query\":\"mutation { volumeSnapshotCreate(input: {name: \\\"n\\\"}) { id } }\"}", NULL, 0, 0, "volume", W},
      {"railway.graphql", "{\"query\":\"mutation { upsert(path: \\\"/srv/volume/x\\\") { databaseCreate } }\"}", NULL, 0, 0, "database", W},
      {"railway.graphql", "{\"query\":\"mutation { a b c d e f g h projectUpdate(id: \\\"p\\\") }\"}", NULL, 0, 0, "project", W},
      {"railway.graphql", "{\"query\":\"mutation { x(file: \\\"volume.md\\\") serviceCreate }\"}", NULL, 0, 0, "file", W},
      {"railway.graphql", "{\"query\":\"query { me { name } }; mutation { bucket }\"}", NULL, 0, 0, "bucket", W},
      {"railway.graphql", "{\"query\":\"{ customDomainCreate(input: {domain: \\\"x.com\\\"}) { id } }\", \"variables\": {\"volume\": 1}}", NULL, 0, 0, "domain", R},
  };
  /* clang-format on */
  check_all(x, sizeof(x) / sizeof(x[0]));
  struct sr_op op = classify("railway.graphql",
                             "{\"query\":\"mutation { setThing(v: 1) }\"}");
  ck_assert_ptr_null(op.resource);
  ck_assert_int_eq(op.verb, W);
}
END_TEST

/* The word form copies runs of lower-case letters 16 bytes at a time and
 * one by one at their ends: a phrase found and shown the same wherever the
 * runs before it end (every offset across two blocks, ASCII and UTF-8
 * runs). A wrong offset of a copied byte shows another span. */
START_TEST(word_form_reads_a_phrase_at_any_offset) {
  static const struct {
    const char *tool, *fmt, *rule, *matched;
  } cases[] = {
      {"mcp__ops__run", "{\"command\":\"%s ops-cli purge database staging\"}",
       "generic.delete_database", "purge database"},
      {"mcp__ops__run", "{\"q\":\"%s deleteVolume vol-1\"}",
       "generic.delete_volume", "deleteVolume"},
      {"railway.graphql",
       "{\"query\":\"mutation { %s volumeDelete(volumeId: \\\"v1\\\") }\"}",
       "graphql.volumeDelete", "volumeDelete"},
  };
  static const char *const units[] = {"q", "\xc3\xa9", "ab_"};
  for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
    for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
      for (size_t pad = 0; pad <= 40; pad++) {
        char run[160] = "", args[320];
        for (size_t k = 0; k < pad; k++) strcat(run, units[u]);
        snprintf(args, sizeof(args), cases[c].fmt, run);
        struct sr_op op = classify(cases[c].tool, args);
        ck_assert_msg(op.rule && strcmp(op.rule, cases[c].rule) == 0,
                      "%s: rule %s", args, or_dash(op.rule));
        ck_assert_msg(str_is(op.matched, cases[c].matched),
                      "%s: matched '%.*s'", args, (int)op.matched.n,
                      op.matched.p);
      }
    }
  }
}
END_TEST

START_TEST(scratch_is_reused_between_calls) {
  struct sr_op a = classify("Bash", "{\"command\":\"terraform destroy\"}");
  ck_assert_str_eq(or_dash(a.rule), "terraform.destroy");
  struct sr_op b = classify("Bash", "{\"command\":\"ls\"}");
  ck_assert_ptr_null(b.rule);
  ck_assert_float_eq(b.destructive, 0.0f);
  /* a second scratch on the same catalogue works alone */
  struct sr_catalogue_scratch *other = sr_catalogue_scratch_create(cat);
  ck_assert_ptr_nonnull(other);
  struct sr_event ev = tool_call("Bash", "{\"command\":\"pulumi destroy\"}");
  struct sr_op c;
  sr_catalogue_classify(cat, other, &ev, &c);
  ck_assert_str_eq(or_dash(c.rule), "pulumi.destroy");
  sr_catalogue_scratch_destroy(other);
  sr_catalogue_scratch_destroy(NULL);
  sr_catalogue_destroy(NULL);
}
END_TEST

/* --- the memo of recent answers ------------------------------------------ */

static bool same_str(sr_str a, sr_str b) {
  return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}
static bool same_cstr(const char *a, const char *b) {
  return a == b || (a && b && strcmp(a, b) == 0);
}

/* Every field of op a equals op b's, strings by content. */
static void check_same_op(const struct sr_op *a, const struct sr_op *b,
                          const char *what) {
  ck_assert_msg(a->verb == b->verb && a->mutating == b->mutating,
                "%s: verb %d/%d", what, a->verb, b->verb);
  ck_assert_msg(a->destructive == b->destructive &&
                    a->irreversible == b->irreversible,
                "%s: destructive %.2f/%.2f", what, a->destructive,
                b->destructive);
  ck_assert_msg(same_cstr(a->rule, b->rule), "%s: rule %s/%s", what,
                or_dash(a->rule), or_dash(b->rule));
  ck_assert_msg(same_cstr(a->resource, b->resource) &&
                    same_cstr(a->needed_scope, b->needed_scope),
                "%s: resource %s/%s", what, or_dash(a->resource),
                or_dash(b->resource));
  ck_assert_msg(same_str(a->matched, b->matched), "%s: matched '%.*s'/'%.*s'",
                what, (int)a->matched.n, a->matched.p, (int)b->matched.n,
                b->matched.p);
  ck_assert_msg(same_cstr(a->target_what, b->target_what), "%s: what %s/%s",
                what, or_dash(a->target_what), or_dash(b->target_what));
  ck_assert_msg(same_str(a->target_id, b->target_id) &&
                    same_str(a->environment, b->environment) &&
                    a->backups == b->backups,
                "%s: target '%.*s'/'%.*s'", what, (int)a->target_id.n,
                a->target_id.p, (int)b->target_id.n, b->target_id.p);
  ck_assert_msg(same_str(a->credential.id, b->credential.id) &&
                    same_str(a->credential.purpose, b->credential.purpose),
                "%s: credential", what);
}

START_TEST(remembered_answers_match_fresh_ones) {
  /* Calls whose answer has views into the tool name, into the arguments,
   * into the scratch's unescaped copy, an inventory id found in the text,
   * a mention, and one too long to remember. */
  static const char *const calls[][2] = {
      {"Bash", "{\"command\":\"rm -rf /var/lib/postgresql/data\"}"},
      {"Bash", "{\"command\":\"rm -rf \\\"/srv/pg/data\\\" /tmp/x\"}"},
      {"Bash", "{\"command\":\"mv \\\"/srv/pg/data\\\" /tmp/x\"}"},
      {"Bash", "{\"command\":\"psql -c \\\"DROP TABLE invoices\\\"\"}"},
      {"Bash", "{\"command\":\"echo 'DROP TABLE users' > notes.txt\"}"},
      {"railway.volumeDelete", "{\"volumeId\":\"x\"}"},
      {"railway.graphql",
       "{\"query\":\"mutation { volumeDelete(volumeId: "
       "\\\"vol-prod-main\\\") }\"}"},
      {"Bash", "{\"command\":\"kubectl delete namespace payments\"}"},
      {"Bash",
       "{\"command\":\"curl -X DELETE https://api.example.com/v1/"
       "buckets/logs\"}"},
      {"mcp__db__query", "{\"sql\":\"DELETE FROM sessions\"}"},
      {"Bash", "{\"command\":\"git status --short\"}"},
      {"Bash", "{\"command\":\"acme tenant nuke t-1\"}"},
      {"Bash", "{\"command\":\"aws s3 rb s3://prod-assets --force\"}"},
  };
  char long_args[1024];
  int k = snprintf(long_args, sizeof long_args, "{\"command\":\"rm -rf /srv/");
  while (k < 600) long_args[k++] = 'a';
  snprintf(long_args + k, sizeof long_args - (size_t)k, "\"}");

  struct sr_catalogue_scratch *fresh = sr_catalogue_scratch_create(ccat);
  struct sr_catalogue_scratch *shared = sr_catalogue_scratch_create(ccat);
  ck_assert_ptr_nonnull(fresh);
  ck_assert_ptr_nonnull(shared);
  size_t n = SR_ARRAY_LEN(calls) + 1;
  for (size_t i = 0; i < n; i++) {
    const char *tool = i < n - 1 ? calls[i][0] : "Bash";
    const char *args = i < n - 1 ? calls[i][1] : long_args;
    /* the expected answer: a scratch that has never seen the call */
    sr_catalogue_scratch_destroy(fresh);
    fresh = sr_catalogue_scratch_create(ccat);
    struct sr_event ev = tool_call(tool, args);
    ev.environment = SR_STR_LIT("prod");
    struct sr_op want;
    sr_catalogue_classify(ccat, fresh, &ev, &want);

    /* the shared scratch sees the call, then another, then the same bytes
     * again in new buffers after the first ones were overwritten: a view
     * left pointing into them would read x's */
    char *t1 = strdup(tool), *a1 = strdup(args);
    struct sr_event e1 = tool_call(t1, a1);
    e1.environment = SR_STR_LIT("staging");
    struct sr_op first, between, again;
    (void)first;
    sr_catalogue_classify(ccat, shared, &e1, &first);
    memset(t1, 'x', strlen(t1));
    memset(a1, 'x', strlen(a1));
    struct sr_event other = tool_call("Bash", "{\"command\":\"rm -rf ./x\"}");
    sr_catalogue_classify(ccat, shared, &other, &between);
    uint64_t lookups0, hits0, lookups1, hits1;
    sr_catalogue_memo_stats(shared, &lookups0, &hits0);
    char *t2 = strdup(tool), *a2 = strdup(args);
    struct sr_event e2 = tool_call(t2, a2);
    e2.environment = SR_STR_LIT("prod");
    sr_catalogue_classify(ccat, shared, &e2, &again);
    sr_catalogue_memo_stats(shared, &lookups1, &hits1);
    check_same_op(&want, &again, args);
    /* the environment is the event's, not the remembered call's */
    ck_assert(str_is(again.environment, "production"));
    bool fits = strlen(tool) + strlen(args) <= 384;
    ck_assert_uint_eq(lookups1 - lookups0, 1);
    ck_assert_msg(hits1 - hits0 == (fits ? 1u : 0u), "%s: %s", args,
                  fits ? "not remembered" : "remembered past the bound");
    free(t1);
    free(a1);
    free(t2);
    free(a2);
  }
  sr_catalogue_scratch_destroy(fresh);
  sr_catalogue_scratch_destroy(shared);
}
END_TEST

START_TEST(calls_without_arguments_are_remembered) {
  /* A decoder leaves a call without arguments as an empty view with no
   * bytes behind it: the memo compares no bytes then (memcmp with a NULL
   * pointer is undefined even for no bytes; the sanitizer run stops on
   * it), and the tool name still decides. */
  struct sr_catalogue_scratch *s = sr_catalogue_scratch_create(cat);
  ck_assert_ptr_nonnull(s);
  struct sr_event ev = tool_call("railway.volumeDelete", "");
  ev.arguments = (sr_str){NULL, 0};
  struct sr_op first, again;
  sr_catalogue_classify(cat, s, &ev, &first);
  sr_catalogue_classify(cat, s, &ev, &again);
  uint64_t lookups, hits;
  sr_catalogue_memo_stats(s, &lookups, &hits);
  ck_assert_uint_eq(lookups, 2);
  ck_assert_uint_eq(hits, 1);
  ck_assert_str_eq(or_dash(first.rule), "graphql.volumeDelete");
  check_same_op(&first, &again, "no arguments");
  /* a tool name that is data by its verb, whatever the verb's case */
  struct sr_op data = classify("slack.PostMessage", "{\"text\":\"rm -rf /\"}");
  ck_assert_msg(data.destructive == 0, "PostMessage: %s", or_dash(data.rule));
  sr_catalogue_scratch_destroy(s);
}
END_TEST

START_TEST(memo_replaces_old_answers_without_mixing_them) {
  /* Far more distinct calls than the memo holds, each with its own matched
   * text (half of them only in the scratch's unescaped copy); replayed in
   * order, every answer must still be its own. */
  struct sr_catalogue_scratch *s = sr_catalogue_scratch_create(cat);
  ck_assert_ptr_nonnull(s);
  char args[128], want[64];
  for (int round = 0; round < 2; round++) {
    for (unsigned i = 0; i < 6000; i++) {
      unsigned id = i % 3000;
      snprintf(args, sizeof args,
               id % 2 ? "{\"command\":\"echo \\\"ok\\\"; kubectl delete "
                        "namespace t%u\"}"
                      : "{\"command\":\"kubectl delete namespace t%u\"}",
               id);
      struct sr_event ev = tool_call("Bash", args);
      struct sr_op op;
      sr_catalogue_classify(cat, s, &ev, &op);
      snprintf(want, sizeof want, "kubectl delete namespace t%u", id);
      ck_assert_msg(str_is(op.matched, want), "call %u: matched '%.*s'", i,
                    (int)op.matched.n, op.matched.p);
    }
  }
  uint64_t lookups, hits;
  sr_catalogue_memo_stats(s, &lookups, &hits);
  ck_assert_uint_eq(lookups, 12000);
  /* 3,000 distinct calls cycle through 2,048 slots: few survive a lap */
  ck_assert_uint_lt(hits, 6000);
  sr_catalogue_scratch_destroy(s);
}
END_TEST

int main(void) {
  char err[512] = "";
  cat = sr_catalogue_create(NULL, err, sizeof(err));
  if (!cat) {
    fprintf(stderr, "catalogue: %s\n", err);
    return 1;
  }
  conf = sr_conf_load_string(config_yaml, "catalogue.yaml", err, sizeof(err));
  if (!conf) {
    fprintf(stderr, "config: %s\n", err);
    return 1;
  }
  ccat = sr_catalogue_create(sr_conf_root(conf), err, sizeof(err));
  if (!ccat) {
    fprintf(stderr, "configured catalogue: %s\n", err);
    return 1;
  }
  scr = sr_catalogue_scratch_create(cat);
  cscr = sr_catalogue_scratch_create(ccat);
  if (!scr || !cscr) return 1;

  Suite *s = suite_create("catalogue");
  TCase *tc = tcase_create("classify");
  tcase_add_test(tc, filesystem_deletions_by_target);
  tcase_add_test(tc, data_store_files);
  tcase_add_test(tc, find_without_tests_deletes_its_starting_point);
  tcase_add_test(tc, wiping_the_working_directory);
  tcase_add_test(tc, an_unset_variable_makes_rm_rf_the_root);
  tcase_add_test(tc, a_find_listing_piped_to_xargs_rm);
  tcase_add_test(tc, recursive_permissions_of_the_system);
  tcase_add_test(tc, sql_where_clauses_matter);
  tcase_add_test(tc, nosql_stores);
  tcase_add_test(tc, flushing_a_numbered_redis_database);
  tcase_add_test(tc, git_force_and_history);
  tcase_add_test(tc, cloud_clis);
  tcase_add_test(tc, recursive_deletion_at_a_bucket_root_empties_it);
  tcase_add_test(tc, deleting_all_a_listing_returns);
  tcase_add_test(tc, infrastructure_as_code);
  tcase_add_test(tc, subcommands_after_flags_with_values);
  tcase_add_test(tc, kubernetes_helm_docker);
  tcase_add_test(tc, whole_resource_losses);
  tcase_add_test(tc, a_test_database_is_not_production);
  tcase_add_test(tc, api_names_in_every_spelling);
  tcase_add_test(tc, http_methods);
  tcase_add_test(tc, tails_read_in_c_as_patterns);
  tcase_add_test(tc, rm_and_cli_flags_read_in_c_as_patterns);
  tcase_add_test(tc, mentions_are_not_executions);
  tcase_add_test(tc, content_tools_are_not_scanned);
  tcase_add_test(tc, shell_read_write_classifier);
  tcase_add_test(tc, migrations_and_package_scripts);
  tcase_add_test(tc, environment_aliases_and_inventory);
  tcase_add_test(tc, credential_registry_completes_the_event);
  tcase_add_test(tc, configured_entries_extend_the_catalogue);
  tcase_add_test(tc, large_arguments_are_bounded);
  tcase_add_test(tc, word_rules_see_a_verb_wherever_it_ends_a_word);
  tcase_add_test(tc, word_rules_see_a_verb_cut_at_the_token_bound);
  tcase_add_test(tc, tool_names_keep_their_own_reading);
  tcase_add_test(tc, graphql_acts_on_its_first_noun);
  tcase_add_test(tc, word_form_reads_a_phrase_at_any_offset);
  tcase_add_test(tc, scratch_is_reused_between_calls);
  tcase_add_test(tc, remembered_answers_match_fresh_ones);
  tcase_add_test(tc, memo_replaces_old_answers_without_mixing_them);
  tcase_add_test(tc, calls_without_arguments_are_remembered);
  suite_add_tcase(s, tc);
  TCase *tcc = tcase_create("config");
  tcase_set_timeout(tcc, 60);
  tcase_add_test(tcc, config_errors_name_entry_and_line);
  suite_add_tcase(s, tcc);

  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  sr_catalogue_scratch_destroy(cscr);
  sr_catalogue_scratch_destroy(scr);
  sr_catalogue_destroy(ccat);
  sr_catalogue_destroy(cat);
  sr_conf_destroy(conf);
  return failed != 0;
}

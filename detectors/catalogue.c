/*
 * The operation catalogue: reads a tool call once, for every detector.
 *
 * What it answers: is this call destructive (how badly, can it be undone,
 * what kind of resource, which scope would it need), is it a read or a write,
 * which environment and which target does it act on, and what can its
 * credential do. Detectors then only weigh these facts.
 *
 * How: every pattern we know (destructive operations, their benign
 * look-alikes, read/write hints, resource nouns, inventory ids) lives in two
 * Hyperscan block-mode databases compiled once at setup, so classifying an
 * event costs two scans whatever the catalogue's size:
 *
 *  - the raw text, "tool + ' ' + arguments", caseless: shell, SQL, HTTP and
 *    CLI syntax, where flags and punctuation matter (`rm -rf /`, `DELETE FROM
 *    t;`, `-X DELETE`);
 *  - a word form of the same text built in the scratch: camelCase and
 *    PascalCase split, `_ . : @ __` and `-` between letters become spaces,
 *    lowercase, so `volumeDelete`, `mcp__github__delete_repository`,
 *    `heroku apps:destroy` and `delete-project` all read as plain words
 *    ("volume delete", "delete repository"). Tokens that are paths, URLs or
 *    file names are left out of the word form: `cat docs/delete-volume.md`
 *    reads documentation, it deletes nothing.
 *
 * The worst destructive match wins. Precision comes from two kinds of
 * "masks", patterns that damp a match instead of adding one (Hyperscan has no
 * lookahead): a START mask covers matches that begin inside it (`rm -rf
 * node_modules`, `UPDATE t SET .. WHERE`, `git rm`), a SEGMENT mask covers
 * matches in the same shell segment (`--dry-run`, `echo "..."`, `grep`,
 * `git commit -m`). Segments end at ; & | newline and #, so `echo hi; rm -rf /`
 * is not excused by its echo.
 *
 * Tools whose arguments are content rather than commands (Read, Write, Edit,
 * Grep, WebFetch, Task, ...) and tools whose name says they only read
 * (`*__get_*`, `*__list_*`, `*__search_*`) are not scanned for destructive
 * operations: writing a migration that contains DROP TABLE, or searching the
 * docs for "delete volume", destroys nothing.
 *
 * Memory: the catalogue owns its entries and databases and borrows strings
 * from the configuration tree, which outlives it. A scratch owns one Hyperscan
 * scratch and fixed text buffers; classification allocates nothing.
 */
#include "detectors/catalogue.h"

#include <assert.h>
#include <hs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "detectors/env.h"

/* Bounds. Configuration beyond them is an error, input beyond them is cut. */
#define CONF_ENTRIES_MAX 1024 /* catalogue.destructive items */
#define CREDS_MAX 4096        /* credentials items */
#define RESOURCES_MAX 4096    /* resources items */
#define CRED_LIST_MAX 64      /* scopes or environments of one credential */
#define RAW_CAP (SR_NAME_MAX + 1 + SR_TEXT_MAX)
#define WORDS_CAP (64 * 1024)
#define CANDS_MAX 32
#define MASKS_MAX 16
#define ID_RESOURCE (1u << 24) /* Hyperscan ids at or above: inventory ids */

enum kind {
  K_DESTROY = 0, /* a destructive operation */
  K_MASK_START,  /* damps matches that begin inside its span */
  K_MASK_SEGMENT, /* damps matches in the same shell segment */
  K_HINT,        /* raw text: the call reads or writes (verb) */
  K_VERB,        /* word form, tool name only: verb word */
  K_NOUN,        /* word form: a resource noun */
};

enum text { T_RAW = 0, T_WORDS = 1 };

#define F_CASEFUL 1u /* raw pattern is case-sensitive */
#define F_GRAPHQL 2u /* hint: the arguments are a GraphQL document */
#define F_DRY_RUN 4u /* hint: a dry-run flag */
#define F_FALLBACK 8u /* catch-all: yields to a specific match it overlaps */
#define F_MENTION 16u /* mask: the segment mentions, it does not execute */
#define F_NO_PIPE 32u /* mask: not when its segment pipes into another */

/* resource value asking to derive the kind from the matched span/URL. */
static const char RES_DERIVE[] = "@";

/*
 * One compiled pattern. Invariant: `pattern` is what was handed to
 * hs_compile_multi and the entry's index is its Hyperscan id. Strings are
 * static, borrowed from the configuration tree, or owned (own_*).
 */
struct entry {
  const char *name;
  const char *pattern;
  uint8_t kind;
  uint8_t text;
  uint8_t verb;  /* hints and verb words: SR_VERB_* */
  uint8_t flags; /* F_* */
  bool irreversible;
  float severity; /* K_DESTROY: severity; masks: factor */
  const char *resource;
  const char *scope;
  const char *applies; /* masks: only rules whose name starts with this */
  int noun;            /* K_NOUN: index into nouns[] */
  const struct sr_conf_node *node; /* configured entries, for errors */
  char *own_pattern;
  char *own_scope;
};

/* A configured credential: views borrowed from the conf tree (environments
 * canonicalised, possibly to static strings). */
struct cred {
  sr_str id;
  sr_str purpose;
  sr_str *scopes;
  uint32_t n_scopes;
  bool scopes_set;
  sr_str *envs;
  uint32_t n_envs;
};

/* A configured resource. */
struct resource {
  sr_str id;
  sr_str kind;
  sr_str environment; /* canonical */
  enum sr_backups backups;
};

/* Open-addressing index from id to array position + 1 (0 = empty). */
struct id_index {
  uint32_t *slots;
  uint32_t mask;
};

struct sr_catalogue {
  struct entry *entries;
  size_t n_entries;
  size_t n_destructive;
  hs_database_t *db[2]; /* T_RAW, T_WORDS; NULL when no pattern */
  struct cred *creds;
  size_t n_creds;
  sr_str *cred_lists; /* pool for creds[].scopes and .envs */
  struct id_index cred_index;
  struct resource *res;
  size_t n_res;
  struct id_index res_index;
};

/* A match (or mask) in raw-text coordinates; word-form matches are mapped
 * back to the raw bytes they came from. */
struct cand {
  uint32_t entry;
  uint32_t from, to;
};

#define SEPS_MAX 256

/*
 * Per-thread scratch: the Hyperscan scratch, the texts being scanned and
 * what the scans found. Everything but `cat` and `hs` is per call.
 * Invariants during a call: words[0..words_len) is the word form of
 * raw[0..raw_len) and wpos[i] is the raw offset that words[i] came from.
 */
struct sr_catalogue_scratch {
  const struct sr_catalogue *cat;
  hs_scratch_t *hs;
  struct cand cands[CANDS_MAX];
  uint32_t n_cands;
  struct cand masks[MASKS_MAX];
  uint32_t n_masks;
  uint8_t hint_verb;
  uint8_t name_verb;
  bool graphql;
  int noun_tool; /* first noun in the tool name, -1 none */
  uint32_t noun_tool_to;
  int noun_args; /* first noun in the arguments, -1 none */
  uint32_t noun_args_to;
  uint32_t res_found; /* inventory index + 1 of the earliest id, 0 none */
  uint32_t res_from;
  /* unquoted shell separators of raw, found on first need */
  bool seps_done, seps_overflow;
  uint32_t n_seps;
  uint32_t sep_pos[SEPS_MAX];
  char sep_kind[SEPS_MAX]; /* '|' a pipe, ';' anything else */
  size_t raw_len;
  size_t tool_len; /* bytes of the tool name at the start of raw */
  size_t words_len;
  sr_str envs[SR_LIST_MAX]; /* canonical copy of the event's cred envs */
  char raw[RAW_CAP];
  char words[WORDS_CAP];
  uint32_t wpos[WORDS_CAP];
};

/* ---------------------------------------------------------------------- */
/* The built-in catalogue                                                   */
/* ---------------------------------------------------------------------- */

/*
 * Raw patterns: Hyperscan syntax, caseless unless F_CASEFUL, and a space
 * stands for \s+ (expanded at setup; never put a space inside [...]).
 * Fragments:
 *   SEG   the rest of one shell segment
 *   END   the end of one argument (ENDX inside a pattern: Hyperscan
 *         accepts $ only at the end)
 *   FL    any flags
 *   CLI   a program name, then anything in the same segment
 */
#define SEG "[^;&|\\n]*"
#define END "(?:\\s|$|[;&|\"'`)\\\\])"
#define ENDX "[\\s;&|\"'`)\\\\]" /* END inside a pattern: no $ */
#define FL "(?:-\\S+ )*"
#define CLI(x) "\\b" x "(?: " SEG ")? "
#define GIT "\\bgit (?:-[cC] \\S+ |--[\\w-]+(?:=\\S*)? )*"
#define RM0 "(?:^|[^\\w./-])rm " FL
/* rm where a command starts (env is left out: `vercel env rm KEY`) */
#define RMC                                                          \
  "(?:^[^\\s{]+\\s+|[\"';&|(`]\\s*|\\\\n\\s*|\\b(?:sudo|doas|xargs|nohup|time|exec)\\s+" \
  "(?:-\\S+\\s+)*)rm " FL
#define RFLAGS                                                    \
  "(?:-[a-z]*r[a-z]*f[a-z]*|-[a-z]*f[a-z]*r[a-z]*"                \
  "|(?:-[a-z]*r[a-z]*|--recursive) " FL "(?:-[a-z]*f[a-z]*|--force)" \
  "|(?:-[a-z]*f[a-z]*|--force) " FL "(?:-[a-z]*r[a-z]*|--recursive))" ENDX
#define RMRF RM0 RFLAGS "\\s*(?:[^\\s;&|]+ )*"
#define KDEL \
  CLI("(?:kubectl|oc)") "delete (?:--?[\\w-]+(?:=\\S*)? (?:[^-\\s]\\S* )?)*"
#define KEND "(?:[\\s/,.]|$|[\"'\\\\])"
#define SQLID "[\\w.\"`\\[\\]]+"
#define SQLEND "\\s*(?:$|[;,)}\"'\\\\]|\\bcascade\\b|\\brestart\\b)"
#define HTTPDEL "(?:-X\\s*|--request[=\\s]\\s*)['\"]?DELETE\\b"

#define IRR true
#define REV false

struct builtin {
  const char *name;
  float severity;
  bool irreversible;
  const char *resource; /* NULL: none; RES_DERIVE: from span or URL */
  const char *pattern;
  unsigned flags;
};

/* Destructive operations on the raw text. Order matters only for ties:
 * the earlier entry names the match, so specific ones come first. */
static const struct builtin raw_destructive[] = {
    /* filesystems */
    {"shell.rm_rf_root", 1.00f, IRR, "file", RMRF "(?:/\\*?|--no-preserve-root)" END},
    {"shell.rm_rf_home", 0.95f, IRR, "file", RMRF "(?:~/?\\*?|\\$HOME/?\\*?|\\$\\{HOME\\}/?\\*?|/home/[\\w.-]+/?\\*?|/Users/[\\w.-]+/?\\*?|/root/?\\*?)" END},
    {"shell.rm_rf_system", 0.95f, IRR, "file", RMRF "/(?:bin|boot|dev|etc|lib|lib32|lib64|opt|sbin|srv|sys|usr|var|proc)/?\\*?" END},
    {"shell.rm_rf_datadir", 0.95f, IRR, "database", RMRF "/var/lib/(?:postgresql|pgsql|mysql|mongodb|redis|docker|etcd|elasticsearch|clickhouse)"},
    {"shell.rm_rf_cwd", 0.85f, IRR, "file", RMRF "(?:\\.|\\./\\*?|\\*|\\.\\.|\\.\\./\\*?|\\.\\*)" END},
    {"shell.rm_rf_git", 0.80f, IRR, "repo", RMRF "(?:\\./)?\\.git/?" END},
    {"shell.rm_rf_var", 0.70f, IRR, "file", RMRF "\"?\\$\\{?\\w+\\}?\"?/\\*?\"?" END},
    {"shell.rm_rf", 0.60f, IRR, "file", RM0 RFLAGS},
    {"shell.rm_recursive", 0.50f, IRR, "file", RM0 "(?:-[a-z]*r[a-z]*|--recursive)" END},
    {"shell.rm", 0.25f, REV, "file", RMC "[^\\s;&|-]"},
    {"shell.find_delete", 0.60f, IRR, "file", "\\bfind\\b" SEG "\\s(?:-delete|-exec (?:/bin/)?rm)\\b"},
    {"shell.shred", 0.80f, IRR, "file", "(?:^|[\\s;&|(\"'])shred\\s"},
    {"shell.dd_device", 0.95f, IRR, "volume", "\\bdd\\b" SEG "\\sof=/dev/(?:sd|hd|vd|xvd|nvme|mmcblk|disk|mapper|md|dm-|loop)"},
    {"shell.redirect_device", 0.95f, IRR, "volume", ">\\s*/dev/(?:sd|hd|vd|xvd|nvme|mmcblk|disk)"},
    {"shell.mkfs", 0.95f, IRR, "volume", "\\b(?:mkfs(?:\\.\\w+)?|mke2fs|mkswap|wipefs)\\s"},
    {"shell.sgdisk_zap", 0.95f, IRR, "volume", "\\bsgdisk\\b" SEG "\\s(?:-Z|--zap-all)\\b"},
    {"shell.truncate_zero", 0.50f, IRR, "file", "\\btruncate " FL "?(?:-s\\s*0|--size[=\\s]0)\\b"},
    {"shell.mv_devnull", 0.60f, IRR, "file", "\\bmv\\s" SEG "\\s/dev/null\\b"},
    {"shell.rsync_delete", 0.50f, IRR, "file", "\\brsync\\b" SEG "\\s--delete(?:-\\w+)?\\b"},
    {"shell.crontab_remove", 0.50f, IRR, "file", "\\bcrontab\\s+-r\\b"},

    /* SQL */
    {"sql.drop_database", 1.00f, IRR, "database", "\\bdrop (?:database|keyspace)\\b"},
    {"sql.drop_schema", 0.95f, IRR, "database", "\\bdrop schema\\b"},
    {"sql.drop_table", 0.90f, IRR, "table", "\\bdrop table\\b"},
    {"sql.truncate", 0.90f, IRR, "table", "\\btruncate (?:table )?(?:only )?" SQLID SQLEND},
    {"sql.delete_all", 0.90f, IRR, "table", "\\bdelete from " SQLID "(?: (?:as )?\\w+)?(?:\\s|\\\\[nrt])*(?:$|[;)}\"'])"},
    {"sql.delete_where_true", 0.85f, IRR, "table", "\\bdelete from " SQLID " (?:[^;]* )?where (?:1\\s*=\\s*1|true|'1'\\s*=\\s*'1')" SQLEND},
    {"sql.delete_where", 0.30f, IRR, "table", "\\bdelete from " SQLID " (?:[^;]* )?where\\b"},
    {"sql.update_all", 0.60f, IRR, "table", "\\bupdate " SQLID " set\\b"},
    {"sql.alter_drop_column", 0.70f, IRR, "table", "\\balter table (?:if exists )?(?:only )?" SQLID " drop column\\b"},
    {"sql.alter_drop", 0.40f, IRR, "table", "\\balter table (?:if exists )?(?:only )?" SQLID " drop\\b", F_FALLBACK},
    {"sql.drop_other", 0.40f, REV, "database", "\\bdrop (?:index|view|materialized view|function|procedure|trigger|sequence|type|extension|policy|role|user)\\b"},
    {"sql.dropdb", 1.00f, IRR, "database", "(?:^|[\\s;&|\"'(])(?:dropdb|mysqladmin\\b" SEG "\\sdrop)\\s"},
    {"orm.db_drop", 1.00f, IRR, "database", "\\b(?:rails|rake|bin/rails|sequelize|sequelize-cli)\\s+db:drop\\b|\\bartisan db:wipe\\b"},
    {"orm.db_reset", 0.90f, IRR, "database", "\\b(?:rails|rake|bin/rails)\\s+db:(?:reset|schema:load|purge)\\b|\\bartisan migrate:(?:fresh|reset)\\b|\\bprisma migrate reset\\b|\\bmanage\\.py (?:flush|reset_db)\\b|\\bprisma db push\\b" SEG "--force-reset\\b"},
    {"orm.data_loss", 0.70f, IRR, "database", "\\bprisma db push\\b" SEG "--accept-data-loss\\b|\\balembic downgrade base\\b|\\bknex migrate:rollback\\b" SEG "--all\\b"},

    /* NoSQL */
    {"mongo.drop_database", 1.00f, IRR, "database", "\\bdropDatabase\\s*\\("},
    {"mongo.drop_collection", 0.90f, IRR, "collection", "\\bdb\\.(?:\\w+|getCollection\\([^)]*\\))\\.drop\\s*\\(\\s*\\)"},
    {"mongo.delete_all", 0.90f, IRR, "collection", "\\.(?:deleteMany|remove)\\s*\\(\\s*\\{\\s*\\}\\s*[,)]"},
    {"mongo.delete_many", 0.35f, IRR, "collection", "\\.deleteMany\\s*\\(", F_FALLBACK},
    {"mongo.delete_one", 0.20f, IRR, "collection", "\\.(?:deleteOne|findOneAndDelete)\\s*\\("},
    {"redis.flushall", 1.00f, IRR, "database", "\\bflushall\\b"},
    {"redis.flushdb", 0.95f, IRR, "database", "\\bflushdb\\b"},
    {"redis.del", 0.30f, IRR, "database", "\\bredis-cli\\b" SEG "\\s(?:del|unlink|hdel)\\s"},
    {"elasticsearch.delete_all", 1.00f, IRR, "index", "\\bDELETE /?(?:_all|\\*)(?:\\s|$|[\\\\\"'?])", F_CASEFUL},
    {"elasticsearch.delete_index", 0.90f, IRR, "index", "\\bDELETE /[\\w.*,-]+/?(?:\\s|$|[\\\\\"'?])", F_CASEFUL},
    {"elasticsearch.curl_delete_index", 0.90f, IRR, "index", "\\bcurl\\b" SEG HTTPDEL SEG "\\s['\"]?https?://[^\\s/]+:9200/[\\w.*,-]+/?(?:\\s|$|['\"?\\\\])"},
    {"etcd.delete_prefix", 0.90f, IRR, "database", "\\betcdctl\\b" SEG "\\sdel\\b" SEG "\\s--(?:prefix|from-key)\\b"},
    {"kafka.delete_topic", 0.85f, IRR, "topic", "\\bkafka-topics(?:\\.sh)?\\b" SEG "\\s--delete\\b"},

    /* git and GitHub */
    {"git.push_mirror", 0.80f, IRR, "repo", GIT "push\\b" SEG "\\s--mirror" END},
    {"git.push_force", 0.70f, IRR, "branch", GIT "push\\b" SEG "\\s(?:--force|-[a-z]*f[a-z]*|\\+[\\w/.:-]+)" END},
    {"git.push_force_lease", 0.50f, IRR, "branch", GIT "push\\b" SEG "\\s--force-(?:with-lease|if-includes)\\b"},
    {"git.push_delete", 0.60f, IRR, "branch", GIT "push\\b" SEG "\\s(?:--delete|-d)" END},
    {"git.push_delete_refspec", 0.60f, IRR, "branch", GIT "push " FL "[\\w.@/-]+ :[\\w/.-]+" END},
    {"git.filter_history", 0.80f, IRR, "repo", GIT "(?:filter-branch|filter-repo)\\b|(?:^|[\\s;&|\"'(])bfg\\s+--?(?:delete|replace|strip)"},
    {"git.reflog_expire", 0.60f, IRR, "repo", GIT "reflog expire\\b" SEG "--expire=(?:now|all)\\b"},
    {"git.clean_force", 0.60f, IRR, "file", GIT "clean\\b" SEG "\\s(?:-[a-z]*f[a-z]*|--force)" END},
    {"git.branch_force_delete", 0.60f, IRR, "branch", "\\bgit\\s+(?:-[cC]\\s+\\S+\\s+)*branch\\b" SEG "\\s(?:-[a-zA-Z]*D[a-zA-Z]*|--delete\\s+--force|--force\\s+--delete|-d\\s+-f|-f\\s+-d)" END, F_CASEFUL},
    {"git.reset_hard", 0.50f, IRR, "file", GIT "reset\\b" SEG "\\s--hard\\b"},
    {"git.checkout_discard", 0.40f, IRR, "file", GIT "(?:checkout|restore) (?:-- )?\\." END},
    {"git.stash_clear", 0.40f, IRR, "file", GIT "stash (?:clear|drop)\\b"},
    {"git.update_ref_delete", 0.40f, IRR, "branch", GIT "update-ref " FL "?-d\\b"},
    {"git.branch_delete", 0.30f, REV, "branch", GIT "branch\\b" SEG "\\s(?:-d|--delete)" END},
    {"git.tag_delete", 0.30f, REV, "tag", GIT "tag\\b" SEG "\\s(?:-d|--delete)" END},
    {"gh.repo_delete", 1.00f, IRR, "repo", "\\bgh repo delete\\b"},
    {"gh.api_delete_repo", 1.00f, IRR, "repo", "\\bgh api\\b" SEG "(?:-X\\s*|--method[=\\s]\\s*)DELETE\\b" SEG "\\s['\"]?/?repos/[\\w.-]+/[\\w.-]+/?" END "|\\bgh api ['\"]?/?repos/[\\w.-]+/[\\w.-]+/?['\"]? " SEG "(?:-X\\s*|--method[=\\s]\\s*)DELETE\\b"},
    {"gh.api_delete", 0.60f, IRR, RES_DERIVE, "\\bgh api\\b" SEG "(?:-X\\s*|--method[=\\s]\\s*)DELETE\\b", F_FALLBACK},
    {"gh.release_delete", 0.50f, IRR, "release", "\\bgh release delete\\b"},
    {"gh.delete", 0.40f, IRR, RES_DERIVE, "\\bgh (?:issue|secret|variable|label|cache|run|codespace|gist|ssh-key|gpg-key|project|ruleset) delete\\b", F_FALLBACK},

    /* AWS */
    {"aws.s3_rb_force", 1.00f, IRR, "bucket", CLI("aws") "s3 rb\\b" SEG "\\s--force\\b"},
    {"aws.s3_rm_recursive", 0.90f, IRR, "bucket", CLI("aws") "s3 rm\\b" SEG "\\s--recursive\\b"},
    {"aws.s3_rb", 0.80f, IRR, "bucket", CLI("aws") "s3 rb\\b"},
    {"aws.s3api_delete_bucket", 0.85f, IRR, "bucket", CLI("aws") "s3api delete-bucket\\b"},
    {"aws.s3_sync_delete", 0.60f, IRR, "bucket", CLI("aws") "s3 sync\\b" SEG "\\s--delete\\b"},
    {"aws.s3_rm", 0.40f, IRR, "object", CLI("aws") "s3 rm\\b", F_FALLBACK},
    {"aws.rds_delete_db_instance", 0.95f, IRR, "database", CLI("aws") "rds delete-db-instance\\b"},
    {"aws.rds_delete_db_cluster", 0.95f, IRR, "database", CLI("aws") "rds delete-db-cluster" END},
    {"aws.rds_delete_snapshot", 0.85f, IRR, "snapshot", CLI("aws") "rds delete-db(?:-cluster)?-snapshot\\b"},
    {"aws.dynamodb_delete_table", 0.95f, IRR, "table", CLI("aws") "dynamodb delete-table\\b"},
    {"aws.dynamodb_delete_backup", 0.85f, IRR, "backup", CLI("aws") "dynamodb delete-backup\\b"},
    {"aws.ec2_terminate_instances", 0.90f, IRR, "instance", CLI("aws") "ec2 terminate-instances\\b"},
    {"aws.ec2_delete_volume", 0.90f, IRR, "volume", CLI("aws") "ec2 delete-volume\\b"},
    {"aws.ec2_delete_snapshot", 0.85f, IRR, "snapshot", CLI("aws") "ec2 delete-snapshot\\b"},
    {"aws.efs_delete_file_system", 0.90f, IRR, "volume", CLI("aws") "efs delete-file-system\\b"},
    {"aws.eks_delete_cluster", 0.95f, IRR, "cluster", CLI("aws") "eks delete-cluster\\b|\\beksctl delete cluster\\b"},
    {"aws.ecs_delete", 0.80f, IRR, "service", CLI("aws") "ecs delete-(?:cluster|service)\\b"},
    {"aws.cloudformation_delete_stack", 0.90f, IRR, "stack", CLI("aws") "cloudformation delete-stack\\b"},
    {"aws.route53_delete_hosted_zone", 0.90f, IRR, "domain", CLI("aws") "route53 delete-hosted-zone\\b"},
    {"aws.backup_delete", 0.90f, IRR, "backup", CLI("aws") "backup delete-(?:recovery-point|backup-vault)\\b"},
    {"aws.secret_delete_now", 0.80f, IRR, "secret", CLI("aws") "secretsmanager delete-secret\\b" SEG "--force-delete-without-recovery\\b"},
    {"aws.kms_schedule_key_deletion", 0.70f, REV, "key", CLI("aws") "kms schedule-key-deletion\\b"},
    {"aws.delete", 0.60f, IRR, RES_DERIVE, CLI("aws") "[\\w-]+ (?:delete|terminate|remove)-[\\w-]+", F_FALLBACK},

    /* Google Cloud */
    {"gcloud.projects_delete", 1.00f, IRR, "project", CLI("gcloud") "projects delete\\b"},
    {"gcloud.sql_instances_delete", 1.00f, IRR, "database", CLI("gcloud") "sql instances delete\\b"},
    {"gcloud.sql_databases_delete", 0.95f, IRR, "database", CLI("gcloud") "sql databases delete\\b"},
    {"gcloud.sql_backups_delete", 0.85f, IRR, "backup", CLI("gcloud") "sql backups delete\\b"},
    {"gcloud.container_clusters_delete", 0.95f, IRR, "cluster", CLI("gcloud") "container clusters delete\\b"},
    {"gcloud.compute_disks_delete", 0.90f, IRR, "volume", CLI("gcloud") "compute disks delete\\b"},
    {"gcloud.compute_snapshots_delete", 0.85f, IRR, "snapshot", CLI("gcloud") "compute snapshots delete\\b"},
    {"gcloud.compute_instances_delete", 0.85f, IRR, "instance", CLI("gcloud") "compute instances delete\\b"},
    {"gcloud.storage_rm_recursive", 0.90f, IRR, "bucket", CLI("gcloud") "storage rm\\b" SEG "\\s(?:-r|-R|--recursive)" END},
    {"gcloud.storage_buckets_delete", 0.90f, IRR, "bucket", CLI("gcloud") "storage buckets delete\\b"},
    {"gcloud.delete", 0.60f, IRR, RES_DERIVE, CLI("gcloud") "(?:[\\w-]+ ){1,4}delete\\b", F_FALLBACK},
    {"gsutil.rm_recursive", 0.90f, IRR, "bucket", CLI("gsutil") "rm\\b" SEG "\\s-[a-z]*r[a-z]*" END},
    {"gsutil.rb", 0.85f, IRR, "bucket", CLI("gsutil") "rb\\b"},
    {"gsutil.rm", 0.40f, IRR, "object", CLI("gsutil") "rm\\b", F_FALLBACK},

    /* Azure */
    {"az.group_delete", 1.00f, IRR, "resource-group", CLI("az") "group delete\\b"},
    {"az.sql_server_delete", 1.00f, IRR, "database", CLI("az") "(?:sql|postgres|mysql) (?:flexible-)?server delete\\b"},
    {"az.sql_db_delete", 0.95f, IRR, "database", CLI("az") "(?:sql|cosmosdb) (?:\\w+ )?(?:db|database) delete\\b|" CLI("az") "cosmosdb delete\\b"},
    {"az.storage_account_delete", 1.00f, IRR, "bucket", CLI("az") "storage account delete\\b"},
    {"az.storage_blob_delete_batch", 0.85f, IRR, "bucket", CLI("az") "storage (?:blob delete-batch|container delete)\\b"},
    {"az.aks_delete", 0.95f, IRR, "cluster", CLI("az") "aks delete\\b"},
    {"az.vm_delete", 0.85f, IRR, "instance", CLI("az") "vm delete\\b"},
    {"az.disk_delete", 0.90f, IRR, "volume", CLI("az") "disk delete\\b"},
    {"az.snapshot_delete", 0.85f, IRR, "snapshot", CLI("az") "snapshot delete\\b"},
    {"az.keyvault_purge", 0.90f, IRR, "secret", CLI("az") "keyvault (?:\\w+ )?purge\\b"},
    {"az.delete", 0.60f, IRR, RES_DERIVE, CLI("az") "(?:[\\w-]+ ){1,3}delete\\b", F_FALLBACK},
    {"doctl.delete", 0.60f, IRR, RES_DERIVE, CLI("doctl") "(?:[\\w-]+ ){1,3}(?:delete|rm)\\b", F_FALLBACK},

    /* infrastructure as code */
    {"terraform.destroy", 0.95f, IRR, "stack", "\\b(?:terraform|tofu) " FL "destroy\\b|\\bterragrunt\\b" SEG "\\sdestroy\\b"},
    {"terraform.apply_destroy", 0.95f, IRR, "stack", "\\b(?:terraform|tofu|terragrunt) " FL "apply\\b" SEG "\\s-destroy\\b"},
    {"terraform.state_rm", 0.50f, REV, "stack", "\\b(?:terraform|tofu|terragrunt) " FL "state rm\\b"},
    {"terraform.workspace_delete", 0.50f, IRR, "stack", "\\b(?:terraform|tofu) " FL "workspace delete\\b"},
    {"pulumi.destroy", 0.95f, IRR, "stack", "\\bpulumi " FL "(?:destroy|down)\\b"},
    {"pulumi.stack_rm", 0.60f, IRR, "stack", "\\bpulumi " FL "stack rm\\b"},
    {"cdk.destroy", 0.95f, IRR, "stack", "\\b(?:cdk|cdktf) " FL "destroy\\b"},
    {"serverless.remove", 0.90f, IRR, "stack", "\\b(?:serverless|sls|sst) " FL "remove\\b"},

    /* Kubernetes, Helm, containers */
    {"k8s.delete_namespace", 0.95f, IRR, "namespace", KDEL "(?:namespaces?|ns)" KEND},
    {"k8s.delete_all", 0.90f, IRR, "namespace", CLI("(?:kubectl|oc)") "delete\\b" SEG "\\s(?:--all|-A|--all-namespaces)(?:[\\s=]|$|[\"'\\\\])"},
    {"k8s.delete_crd", 0.90f, IRR, "crd", KDEL "(?:crds?|customresourcedefinitions?)" KEND},
    {"k8s.delete_pv", 0.90f, IRR, "volume", KDEL "(?:pv|persistentvolumes?)" KEND},
    {"k8s.delete_pvc", 0.85f, IRR, "volume", KDEL "(?:pvc|persistentvolumeclaims?)" KEND},
    {"k8s.delete_statefulset", 0.80f, IRR, "service", KDEL "(?:statefulsets?|sts)" KEND},
    {"k8s.delete_node", 0.70f, IRR, "instance", KDEL "nodes?" KEND},
    {"k8s.delete_deployment", 0.60f, IRR, "service", KDEL "(?:deployments?|deploy)" KEND},
    {"k8s.delete_file", 0.60f, IRR, RES_DERIVE, KDEL "(?:-f|--filename|-k|--kustomize)" END},
    {"k8s.delete_secret", 0.50f, IRR, "secret", KDEL "secrets?" KEND},
    {"k8s.delete_service", 0.50f, IRR, "service", KDEL "(?:services?|svc)" KEND},
    {"k8s.delete_pod", 0.40f, REV, "pod", KDEL "(?:pods?|po)" KEND},
    {"k8s.delete", 0.50f, IRR, RES_DERIVE, CLI("(?:kubectl|oc)") "delete\\b", F_FALLBACK},
    {"k8s.drain", 0.50f, REV, "instance", CLI("(?:kubectl|oc)") "drain\\b"},
    {"k8s.scale_zero", 0.40f, REV, "service", CLI("(?:kubectl|oc)") "scale\\b" SEG "--replicas[=\\s]0\\b"},
    {"k8s.cluster_delete_local", 0.60f, IRR, "cluster", "\\b(?:kind|k3d|minikube)\\b" SEG "\\s(?:delete|cluster delete)\\b"},
    {"helm.uninstall", 0.70f, IRR, "service", CLI("helm") "(?:uninstall|delete|del)\\b"},
    {"docker.volume_rm", 0.85f, IRR, "volume", CLI("(?:docker|podman)") "volume (?:rm|remove|prune)\\b"},
    {"docker.system_prune_volumes", 0.85f, IRR, "volume", CLI("(?:docker|podman)") "system prune\\b" SEG "\\s--volumes\\b"},
    {"docker.compose_down_volumes", 0.80f, IRR, "volume", "\\b(?:docker(?:-| )compose|podman-compose|docker-compose)\\b" SEG "\\sdown\\b" SEG "\\s(?:-v|--volumes)" END},
    {"docker.system_prune", 0.50f, REV, "container", CLI("(?:docker|podman)") "system prune\\b"},
    {"docker.rm_force", 0.40f, REV, "container", "\\b(?:docker|podman) (?:container )?(?:rm|remove)\\b" SEG "\\s(?:-[a-z]*f[a-z]*|--force)" END},

    /* platforms */
    {"railway.volume_delete", 0.95f, IRR, "volume", CLI("railway") "volumes? (?:delete|rm|remove)\\b"},
    {"railway.down", 0.40f, REV, "service", CLI("railway") "down\\b"},
    {"heroku.apps_destroy", 1.00f, IRR, "app", CLI("heroku") "apps:destroy\\b|\\bheroku " FL "destroy\\b"},
    {"heroku.pg_reset", 1.00f, IRR, "database", CLI("heroku") "pg:reset\\b"},
    {"heroku.addons_destroy", 0.90f, IRR, "addon", CLI("heroku") "addons:(?:destroy|remove|detach)\\b"},
    {"heroku.pg_backups_delete", 0.85f, IRR, "backup", CLI("heroku") "pg:backups:(?:delete|destroy)\\b"},
    {"heroku.domains_remove", 0.50f, IRR, "domain", CLI("heroku") "domains:(?:remove|clear)\\b"},
    {"fly.apps_destroy", 1.00f, IRR, "app", CLI("(?:fly|flyctl)") "apps? (?:destroy|delete|remove|rm)\\b|\\b(?:fly|flyctl) " FL "destroy\\b"},
    {"fly.postgres_destroy", 0.95f, IRR, "database", CLI("(?:fly|flyctl)") "(?:postgres|pg|mpg) (?:destroy|delete|remove)\\b"},
    {"fly.volumes_destroy", 0.95f, IRR, "volume", CLI("(?:fly|flyctl)") "(?:volumes?|vol) (?:destroy|delete|remove|rm)\\b"},
    {"fly.machine_destroy", 0.50f, IRR, "instance", CLI("(?:fly|flyctl)") "(?:machines?|m) (?:destroy|remove|rm)\\b"},
    {"vercel.project_rm", 0.90f, IRR, "project", CLI("vercel") "projects? (?:rm|remove)\\b"},
    {"vercel.remove", 0.85f, IRR, "project", "\\bvercel " FL "(?:remove|rm)\\b"},
    {"vercel.domains_rm", 0.60f, IRR, "domain", CLI("vercel") "domains? (?:rm|remove)\\b"},
    {"render.service_delete", 0.85f, IRR, "service", CLI("render") "services? delete\\b"},
    {"supabase.db_reset_linked", 1.00f, IRR, "database", CLI("supabase") "db reset\\b" SEG "\\s--(?:linked|db-url)\\b"},
    {"supabase.projects_delete", 1.00f, IRR, "project", CLI("supabase") "projects? delete\\b"},
    {"supabase.branches_delete", 0.70f, IRR, "branch", CLI("supabase") "branch(?:es)? delete\\b"},
    {"supabase.db_reset", 0.60f, IRR, "database", CLI("supabase") "db reset\\b"},
    {"netlify.sites_delete", 0.90f, IRR, "project", CLI("netlify") "sites:delete\\b"},
    {"firebase.firestore_delete_all", 1.00f, IRR, "database", CLI("firebase") "firestore:delete\\b" SEG "\\s--all-collections\\b"},
    {"firebase.delete", 0.80f, IRR, "database", CLI("firebase") "(?:firestore:delete|database:remove)\\b"},

    /* HTTP */
    {"http.curl_delete", 0.60f, IRR, RES_DERIVE, "\\b(?:curl|wget)\\b" SEG HTTPDEL "|\\bwget\\b" SEG "--method[=\\s]DELETE\\b", F_FALLBACK},
    {"http.method_delete", 0.60f, IRR, RES_DERIVE, "\\bmethod['\"\\\\]*\\s*[:=]\\s*['\"\\\\]*DELETE\\b", F_FALLBACK},
    {"http.client_delete", 0.60f, IRR, RES_DERIVE, "\\b(?:requests|axios|httpx|session|client|http)\\.delete\\s*\\(", F_FALLBACK},
    {"http.httpie_delete", 0.60f, IRR, RES_DERIVE, "\\b(?:http|https|xh) " FL "DELETE\\s", F_CASEFUL | F_FALLBACK},
};

/* Destructive operations on the word form (lowercase, single spaces). The
 * API-name spelling of the headline incidents comes first; the generic
 * verb/noun entries are generated from nouns[] below. */
static const struct builtin word_destructive[] = {
    {"graphql.projectDelete", 1.00f, IRR, "project", "\\bproject delete\\b"},
    {"graphql.volumeDelete", 0.95f, IRR, "volume", "\\bvolume (?:instance )?delete\\b"},
    {"graphql.volumeBackupDelete", 0.90f, IRR, "backup", "\\bvolume (?:instance )?backup delete\\b"},
    {"graphql.environmentDelete", 0.90f, IRR, "environment", "\\benvironment delete\\b"},
    {"graphql.serviceDelete", 0.85f, IRR, "service", "\\bservice delete\\b"},
    {"api.reset_database", 0.90f, IRR, "database", "\\b(?:reset|wipe|nuke) (?:the |prod |production )?(?:database|db)\\b|\\b(?:database|db) (?:reset|wipe)\\b", F_FALLBACK},
};

/*
 * Resource nouns: what the word form may name, how bad deleting one is, and
 * the scopes strings handed out in sr_op. A severity > 0 generates the entry
 * "generic.delete_<kind>": a delete verb next to the noun, either order.
 */
struct noun {
  const char *words; /* space-separated spellings */
  const char *resource;
  float severity;
  bool irreversible;
  const char *name;
  const char *scope_read, *scope_write, *scope_delete;
};

#define NOUN(words, res, sev, irr) \
  {words, res, sev, irr, "generic.delete_" res, res ":read", res ":write", res ":delete"}

static const struct noun nouns[] = {
    NOUN("organization organizations organisation organisations org orgs", "organization", 0.95f, IRR),
    NOUN("database databases db dbs keyspace keyspaces", "database", 0.95f, IRR),
    NOUN("project projects", "project", 0.90f, IRR),
    NOUN("repo repos repository repositories", "repo", 0.90f, IRR),
    NOUN("backup backups", "backup", 0.90f, IRR),
    NOUN("namespace namespaces", "namespace", 0.90f, IRR),
    NOUN("cluster clusters", "cluster", 0.90f, IRR),
    NOUN("volume volumes disk disks", "volume", 0.85f, IRR),
    NOUN("bucket buckets", "bucket", 0.85f, IRR),
    NOUN("stack stacks", "stack", 0.85f, IRR),
    NOUN("app apps application applications", "app", 0.85f, IRR),
    NOUN("account accounts", "account", 0.80f, IRR),
    NOUN("snapshot snapshots", "snapshot", 0.80f, IRR),
    NOUN("environment environments", "environment", 0.80f, IRR),
    NOUN("instance instances", "instance", 0.80f, IRR),
    NOUN("table tables", "table", 0.80f, IRR),
    NOUN("collection collections", "collection", 0.80f, IRR),
    NOUN("topic topics queue queues", "topic", 0.70f, IRR),
    NOUN("service services", "service", 0.70f, IRR),
    NOUN("index indexes indices", "index", 0.60f, IRR),
    NOUN("workspace workspaces", "workspace", 0.60f, IRR),
    NOUN("branch branches", "branch", 0.50f, IRR),
    NOUN("domain domains", "domain", 0.50f, IRR),
    NOUN("secret secrets", "secret", 0.50f, IRR),
    NOUN("user users", "user", 0.50f, IRR),
    NOUN("function functions", "function", 0.40f, REV),
    NOUN("release releases", "release", 0.40f, REV),
    NOUN("deployment deployments", "deployment", 0.40f, REV),
    NOUN("container containers", "container", 0.40f, REV),
    NOUN("file files", "file", 0.30f, REV),
    NOUN("webhook webhooks", "webhook", 0.30f, REV),
    NOUN("variable variables var vars", "variable", 0.0f, REV),
    NOUN("issue issues", "issue", 0.0f, REV),
};

/* Verbs that destroy, and the words that may stand between such a verb and
 * its noun ("delete the production volume"). */
#define DEL_VERBS "delete|deletes|destroy|remove|purge|wipe|drop|terminate|nuke|erase"
#define BETWEEN                                                               \
  "the|a|an|this|that|these|those|all|my|our|your|its|their|old|existing|"    \
  "unused|current|prod|production|staging|stage|dev|test|primary|main|"       \
  "default|entire|whole|remote|local|db|sql|rds|ec2|s3|gcs|k8s|persistent|"   \
  "storage|data|managed|custom|git|github|docker|cloud|compute|container|"    \
  "preview|feature|target|linked|attached|selected|specified|named|empty|"    \
  "stale|orphaned|dangling|postgres|postgresql|mysql|mongo|mongodb|redis|"    \
  "railway|heroku|fly|supabase|vercel|neon|aws|gcp|azure|team|cache|log"

struct mask {
  const char *name;
  float factor;
  uint8_t kind;
  unsigned flags;
  const char *applies;
  const char *pattern;
};

/* Where a command starts, for masks: their span then ends inside the
 * segment they cover. */
#define CMD                                                                  \
  "(?:^[^\\s{]+\\s+|\"(?:command|cmd|script)\"\\s*:\\s*\"|&&|\\|\\||[;|(`\"']|\\\\n|" \
  "\\$\\()\\s*(?:sudo\\s+)?"

/* Benign look-alikes: they damp the matches they cover instead of adding
 * one. A SEGMENT mask is placed at its last byte, so its pattern must end
 * inside the segment (never with END). */
static const struct mask masks[] = {
    /* a dry run or a help page does nothing */
    {"mask.dry_run", 0.0f, K_MASK_SEGMENT, 0, NULL, "(?:\\s|^)(?:--dry-run(?:=(?:client|server|true|all))?|--dryrun|--what-?if|-WhatIf|--noop)\\b"},
    {"mask.help", 0.0f, K_MASK_SEGMENT, 0, NULL, "\\s--help\\b"},
    /* a mention is not an execution */
    {"mask.echo", 0.2f, K_MASK_SEGMENT, F_MENTION | F_NO_PIPE, NULL, CMD "(?:echo|printf)\\s"},
    {"mask.search", 0.1f, K_MASK_SEGMENT, F_MENTION, NULL, CMD "(?:grep|egrep|fgrep|rg|ag|ack|git grep)\\s"},
    {"mask.vcs_message", 0.1f, K_MASK_SEGMENT, F_MENTION, NULL, GIT "(?:commit|log|show)\\b"},
    {"mask.git_clean_dry", 0.0f, K_MASK_START, 0, "git.clean", GIT "clean\\b" SEG "\\s(?:-[a-z]*n[a-z]*|--dry-run)\\b"},
    /* a WHERE clause makes an UPDATE an update */
    {"mask.update_where", 0.0f, K_MASK_START, 0, "sql.update", "\\bupdate " SQLID " set\\b[^;]*\\bwhere\\b"},
    /* rm of build output and temp files is housekeeping */
    {"mask.rm_build", 0.4f, K_MASK_START, 0, "shell.rm", RM0 "(?:" "(?:\\./)?(?:node_modules|dist|build|target|out|coverage|\\.next|\\.nuxt|\\.turbo|\\.cache|\\.parcel-cache|\\.pytest_cache|\\.mypy_cache|\\.ruff_cache|__pycache__|\\.venv|venv|\\.tox|\\.gradle|\\.terraform|tmp|package-lock\\.json|yarn\\.lock|pnpm-lock\\.yaml|/tmp/[^\\s;&|\"']+|\\$TMPDIR/[^\\s;&|\"']*)/?\\*?" "\\s*)+(?:$|[;&|\"')\\\\])"},
    /* `git rm` is recoverable from history; `npm rm` uninstalls a package */
    {"mask.vcs_rm", 0.3f, K_MASK_START, 0, "shell.rm", "\\b(?:git|hg|svn|dvc) rm\\b"},
    {"mask.tool_rm", 0.0f, K_MASK_START, 0, "shell.rm", "\\b(?:npm|pnpm|yarn|bun|pip|pip3|brew|cargo|helm|kubectl|docker|podman|gsutil|vercel|fly|flyctl|doctl|railway|poetry|uv|conda|gem|go|dotnet) rm\\b"},
};

struct hint {
  const char *name;
  uint8_t verb;
  unsigned flags;
  const char *pattern;
};

/* Where a shell command starts: after the tool name of a plain-string call,
 * after a JSON "command" key, after a separator; past sudo/env/VAR=x. */
#define CP                                                                   \
  "(?:^[^\\s{]+\\s+|\"(?:command|cmd|script)\"\\s*:\\s*\"|&&|\\|\\||[;|(`]|" \
  "\\\\n|\\$\\()\\s*(?:(?:sudo|time|nohup|exec|env|xargs|command|nice)\\s+"  \
  "(?:-\\S+\\s+)*|\\w+=\\S*\\s+)*"
#define R SR_VERB_READ
#define W SR_VERB_WRITE

/* Read/write hints on the raw text, for calls that destroy nothing. */
static const struct hint hints[] = {
    {"hint.shell_read", R, 0, CP "(?:ls|ll|cat|bat|head|tail|less|more|grep|egrep|fgrep|rg|ag|ack|find|fd|tree|wc|pwd|echo|printf|which|whereis|type|file|stat|du|df|ps|top|free|uptime|env|printenv|id|whoami|hostname|uname|date|diff|cmp|sort|uniq|cut|jq|yq|awk|dig|nslookup|host|ping|curl|wget|man|sed|cd|test|history|lsof|netstat|ss|journalctl|nproc|lscpu)\\b"},
    {"hint.shell_write", W, 0, CP "(?:mv|cp|mkdir|rmdir|touch|chmod|chown|chgrp|ln|tee|install|rsync|scp|patch|unzip|gunzip|tar|kill|pkill|killall|reboot|shutdown|systemctl (?:start|stop|restart|enable|disable)|service|crontab|useradd|userdel|passwd)\\b"},
    {"hint.sed_inplace", W, 0, "\\bsed " FL "?-i|\\bperl -\\S*i"},
    {"hint.redirect", W, 0, "(?:^|[^0-9&>=<-])>>?\\s*(?:[\\w~.$\"'-]|/(?:[^d\\s]|d[^e]|de[^v]|dev[^/]))"},
    {"hint.packages", W, 0, "\\b(?:npm|pnpm|yarn|bun) (?:install|i|add|ci|publish|uninstall|remove|rm|update|upgrade|link|version)\\b|\\b(?:pip3?|pipx|poetry|uv) (?:pip )?(?:install|uninstall|add|remove|sync)\\b|\\b(?:cargo (?:install|publish|add|remove)|go (?:install|get)|gem install|bundle (?:install|update)|composer (?:install|require|update))\\b|\\b(?:apt|apt-get|yum|dnf|brew|apk|pacman|snap) (?:install|remove|purge|upgrade|update|uninstall|add)\\b"},
    {"hint.git_read", R, 0, GIT "(?:status|log|diff|show|blame|branch|remote|rev-parse|ls-files|ls-tree|ls-remote|grep|describe|shortlog|reflog|fetch|config --get|cat-file|rev-list)\\b"},
    {"hint.git_write", W, 0, GIT "(?:add|commit|push|pull|merge|rebase|checkout|switch|restore|cherry-pick|revert|tag|stash|am|apply|init|clone|mv|rm|reset|clean|submodule|worktree add|notes|gc|prune|remote (?:add|set-url|remove))\\b"},
    {"hint.k8s_read", R, 0, CLI("(?:kubectl|oc|helm)") "(?:get|describe|logs|top|explain|version|api-resources|api-versions|cluster-info|diff|list|ls|status|history|template|show|search|lint|auth can-i|config view)\\b"},
    {"hint.k8s_write", W, 0, CLI("(?:kubectl|oc|helm)") "(?:apply|create|patch|replace|scale|rollout|set|label|annotate|edit|expose|run|cordon|uncordon|taint|autoscale|exec|cp|install|upgrade|rollback|config use-context)\\b"},
    {"hint.iac_read", R, 0, CLI("(?:terraform|tofu|terragrunt|pulumi|cdk|cdktf)") "(?:plan|show|output|validate|fmt|version|providers|graph|console|preview|diff|synth|ls|list|state (?:list|show)|stack ls|whoami)\\b"},
    {"hint.iac_write", W, 0, CLI("(?:terraform|tofu|terragrunt|pulumi|cdk|cdktf)") "(?:apply|import|taint|untaint|refresh|up|deploy|bootstrap|state (?:mv|push|replace-provider)|workspace (?:new|select)|force-unlock|config set|stack init)\\b"},
    {"hint.docker_read", R, 0, CLI("(?:docker|podman|docker-compose)") "(?:ps|images|logs|inspect|version|info|stats|top|port|history|ls|config)\\b"},
    {"hint.docker_write", W, 0, CLI("(?:docker|podman|docker-compose)") "(?:run|build|push|pull|start|stop|restart|kill|exec|tag|create|cp|commit|up|down|login|load|import)\\b"},
    {"hint.paas_read", R, 0, "\\b(?:vercel|netlify|fly|flyctl|railway|wrangler|firebase|heroku|render|supabase|doctl|gcloud|az|gh|gsutil)\\b" SEG "[\\s:](?:list|ls|describe|show|get|view|status|logs|info|whoami|inspect|search|cat|diff|checks)(?:\\s|$|[\"'\\\\:])"},
    {"hint.vercel_deploy", W, 0, "\\bvercel " FL "?(?:--prod|deploy)\\b"},
    {"hint.paas_write", W, 0, "\\b(?:vercel|netlify|fly|flyctl|railway|wrangler|firebase|amplify|heroku|render|supabase|serverless|sls|sst|doctl|gcloud|az|gh|gsutil)\\b" SEG "[\\s:](?:deploy|up|publish|redeploy|push|release|promote|rollback|restart|start|stop|scale|create|update|set|add|link|init|import|enable|disable|patch|attach|detach|resize|edit|merge|close|reopen|comment|review|fork|rename|archive|transfer|upload|rerun|cancel|cp|mv|rsync|mb)(?:\\s|$|[\"'\\\\:])"},
    {"hint.gh_api_read", R, 0, "\\bgh api\\b"},
    {"hint.gh_api_write", W, 0, "\\bgh api\\b" SEG "(?:\\s(?:-X|--method)[=\\s]*(?:POST|PUT|PATCH)\\b|\\s-[fF]\\s|\\s--(?:field|raw-field|input)\\b)"},
    {"hint.aws_read", R, 0, CLI("aws") "(?:(?:[\\w-]+ )?(?:describe|list|get)-[\\w-]+|s3 ls|sts get-caller-identity)\\b"},
    {"hint.aws_write", W, 0, CLI("aws") "(?:[\\w-]+ )?(?:(?:create|put|update|run|start|stop|reboot|modify|attach|detach|associate|disassociate|tag|untag|invoke|register|deregister|enable|disable|import|restore|copy|authorize|revoke|send|publish|set|add|upload|deploy|apply|execute)-[\\w-]+|s3 (?:cp|mv|sync|mb))\\b"},
    {"hint.sql_read", R, 0, "\\bselect\\s[^;]*\\bfrom\\b|\\b(?:show|describe|desc|explain)\\s+(?:tables|databases|schemas|columns|create|select|analyze|index|keys)\\b"},
    {"hint.sql_write", W, 0, "\\binsert\\s+(?:ignore\\s+)?into\\b|\\bupdate\\s+[\\w.\"`]+\\s+set\\b|\\bupsert\\b|\\b(?:merge|replace)\\s+into\\b|\\bcreate\\s+(?:or\\s+replace\\s+)?(?:unique\\s+)?(?:temp(?:orary)?\\s+)?(?:table|index|view|database|schema|function|procedure|trigger|extension|user|role|type|sequence|materialized\\s+view|keyspace|collection)\\b|\\balter\\s+(?:table|database|schema|user|role|index|view|sequence|type|system)\\b|\\b(?:grant|revoke)\\s+[\\w\\s,]+\\s+on\\b|\\bcopy\\s+[\\w.\"]+\\s+from\\b"},
    {"hint.http_read", R, 0, "\\bmethod['\"\\\\]*\\s*[:=]\\s*['\"\\\\]*(?:GET|HEAD|OPTIONS)\\b|(?:-X\\s*|--request[=\\s]\\s*)['\"]?(?:GET|HEAD)\\b|\\b(?:requests|axios|httpx|session|client|http)\\.get\\s*\\("},
    {"hint.http_write", W, 0, "\\bmethod['\"\\\\]*\\s*[:=]\\s*['\"\\\\]*(?:POST|PUT|PATCH)\\b|(?:-X\\s*|--request[=\\s]\\s*)['\"]?(?:POST|PUT|PATCH)\\b|\\b(?:requests|axios|httpx|session|client|http)\\.(?:post|put|patch)\\s*\\("},
    {"hint.curl_data", W, F_CASEFUL, "\\bcurl\\b" SEG "\\s(?:-d|--data(?:-raw|-binary|-urlencode)?|--json|-F|--form|-T|--upload-file)[\\s=]"},
    {"hint.graphql_mutation", W, F_GRAPHQL, "\\bmutation\\b\\s*(?:\\w+\\s*)?(?:\\([^)]*\\)\\s*)?\\{"},
    {"hint.graphql_query", R, F_GRAPHQL, "\"query\"\\s*:\\s*\"\\s*(?:query\\b|\\{)|(?:^|[\\s\"{])query\\s+\\w+\\s*[({]"},
    {"hint.mongo_read", R, 0, "\\.(?:find|findOne|aggregate|countDocuments|estimatedDocumentCount|count|distinct|getIndexes|stats)\\s*\\("},
    {"hint.mongo_write", W, 0, "\\.(?:insertOne|insertMany|insert|updateOne|updateMany|update|replaceOne|findOneAndUpdate|findOneAndReplace|findAndModify|bulkWrite|createIndex|createCollection|renameCollection|save)\\s*\\("},
    {"hint.redis_read", R, 0, "\\bredis-cli\\b" SEG "\\s(?:get|mget|keys|scan|hget|hgetall|lrange|smembers|ttl|info|exists|type|ping|dbsize)\\b"},
    {"hint.redis_write", W, 0, "\\bredis-cli\\b" SEG "\\s(?:set|setex|mset|hset|hmset|lpush|rpush|sadd|zadd|incr|decr|expire|publish|config\\s+set)\\s"},
    {"hint.dry_run", R, F_DRY_RUN, "(?:\\s|^)(?:--dry-run(?:=(?:client|server|true|all))?|--dryrun|--what-?if|-WhatIf|--noop)\\b"},
};

/* Verb words of a tool name (word form), e.g. mcp__github__create_issue. */
static const struct hint verbs[] = {
    {"verb.read", R, 0, "\\b(?:get|list|describe|read|search|fetch|show|view|find|query|lookup|count|check|inspect|status|logs|diff|explain|select|browse|download|cat|grep|ls|glob|stat|peek|preview|validate|plan|print|dump|head|tail|watch|whoami|info|ping)\\b"},
    {"verb.write", W, 0, "\\b(?:create|update|add|set|put|post|patch|deploy|redeploy|apply|insert|upsert|send|push|commit|install|write|edit|move|rename|copy|mkdir|chmod|chown|upload|merge|restart|start|stop|scale|trigger|enable|disable|attach|detach|link|unlink|connect|disconnect|rollback|publish|release|tag|assign|unassign|invite|grant|revoke|approve|reject|close|reopen|comment|reply|replace|save|modify|change|configure|register|unregister|import|sync|migrate|restore|fork|transfer|archive|lock|unlock|pause|resume|cancel|submit|generate|provision|promote|rotate|reset|mutate|mutation)\\b"},
    {"verb.delete", SR_VERB_DELETE, 0, "\\b(?:" DEL_VERBS "|truncate|uninstall|prune|clear|flush|evict|expunge)\\b"},
};

#undef R
#undef W

/* Tools whose arguments are content, not commands: never scanned. */
struct fixed_tool {
  const char *name;
  enum sr_verb verb;
  const char *resource; /* "file" for file tools; NULL otherwise */
};

static const struct fixed_tool fixed_tools[] = {
    {"Read", SR_VERB_READ, "file"},          {"NotebookRead", SR_VERB_READ, "file"},
    {"Grep", SR_VERB_READ, "file"},          {"Glob", SR_VERB_READ, "file"},
    {"LS", SR_VERB_READ, "file"},            {"WebSearch", SR_VERB_READ, NULL},
    {"WebFetch", SR_VERB_READ, NULL},        {"read_file", SR_VERB_READ, "file"},
    {"list_dir", SR_VERB_READ, "file"},      {"file_search", SR_VERB_READ, "file"},
    {"grep_search", SR_VERB_READ, "file"},   {"codebase_search", SR_VERB_READ, "file"},
    {"web_search", SR_VERB_READ, NULL},      {"Write", SR_VERB_WRITE, "file"},
    {"Edit", SR_VERB_WRITE, "file"},         {"MultiEdit", SR_VERB_WRITE, "file"},
    {"NotebookEdit", SR_VERB_WRITE, "file"}, {"write_file", SR_VERB_WRITE, "file"},
    {"edit_file", SR_VERB_WRITE, "file"},    {"create_file", SR_VERB_WRITE, "file"},
    {"search_replace", SR_VERB_WRITE, "file"},
    {"str_replace_based_edit_tool", SR_VERB_WRITE, "file"},
    {"TodoWrite", SR_VERB_NONE, NULL},       {"TodoRead", SR_VERB_NONE, NULL},
    {"Task", SR_VERB_NONE, NULL},            {"Agent", SR_VERB_NONE, NULL},
    {"ExitPlanMode", SR_VERB_NONE, NULL},    {"AskUserQuestion", SR_VERB_NONE, NULL},
};

/* ---------------------------------------------------------------------- */
/* Setup                                                                    */
/* ---------------------------------------------------------------------- */

/* Grows *v to hold one more T; NULL on allocation failure. */
static struct entry *push_entry(struct sr_catalogue *cat, size_t *cap) {
  if (cat->n_entries == *cap) {
    size_t ncap = *cap ? *cap * 2 : 256;
    struct entry *ne = realloc(cat->entries, ncap * sizeof(*ne));
    if (!ne) return NULL;
    cat->entries = ne;
    *cap = ncap;
  }
  struct entry *e = &cat->entries[cat->n_entries++];
  memset(e, 0, sizeof(*e));
  e->noun = -1;
  return e;
}

/* A built-in raw pattern with each space replaced by \s+. Caller frees. */
static char *expand_spaces(const char *p) {
  size_t n = 0, sp = 0;
  for (const char *q = p; *q; q++, n++) sp += *q == ' ';
  char *out = malloc(n + sp * 2 + 1);
  if (!out) return NULL;
  char *o = out;
  for (const char *q = p; *q; q++) {
    if (*q == ' ') {
      memcpy(o, "\\s+", 3);
      o += 3;
    } else {
      *o++ = *q;
    }
  }
  *o = '\0';
  return out;
}

static int add_builtin(struct sr_catalogue *cat, size_t *cap,
                       const struct builtin *b, enum text text) {
  struct entry *e = push_entry(cat, cap);
  if (!e) return SR_ENOMEM;
  e->name = b->name;
  e->kind = K_DESTROY;
  e->text = (uint8_t)text;
  e->flags = (uint8_t)b->flags;
  e->severity = b->severity;
  e->irreversible = b->irreversible;
  e->resource = b->resource;
  if (b->resource && b->resource != RES_DERIVE) {
    size_t len = strlen(b->resource) + sizeof(":delete");
    if (!(e->own_scope = malloc(len))) return SR_ENOMEM;
    snprintf(e->own_scope, len, "%s:delete", b->resource);
    e->scope = e->own_scope;
  }
  if (text == T_RAW) {
    e->own_pattern = expand_spaces(b->pattern);
    if (!e->own_pattern) return SR_ENOMEM;
    e->pattern = e->own_pattern;
  } else {
    e->pattern = b->pattern;
  }
  cat->n_destructive++;
  return SR_OK;
}

/* "a b c" -> "(?:a|b|c)" into a new string. */
static char *alternation(const char *words) {
  size_t n = strlen(words);
  char *out = malloc(n + 8);
  if (!out) return NULL;
  char *o = out;
  memcpy(o, "(?:", 3);
  o += 3;
  for (const char *q = words; *q; q++) *o++ = *q == ' ' ? '|' : *q;
  *o++ = ')';
  *o = '\0';
  return out;
}

/* The generic verb/noun entry and the noun hint for nouns[i]. */
static int add_noun(struct sr_catalogue *cat, size_t *cap, int i) {
  const struct noun *nn = &nouns[i];
  char *alt = alternation(nn->words);
  if (!alt) return SR_ENOMEM;
  int rc = SR_ENOMEM;
  if (nn->severity > 0) {
    struct entry *e = push_entry(cat, cap);
    if (!e) goto out;
    static const char fmt[] = "\\b(?:%s) (?:(?:%s) )?%s\\b|\\b%s (?:%s|rm)\\b";
    int len = snprintf(NULL, 0, fmt, DEL_VERBS, BETWEEN, alt, alt, DEL_VERBS);
    if (len < 0 || !(e->own_pattern = malloc((size_t)len + 1))) goto out;
    snprintf(e->own_pattern, (size_t)len + 1, fmt, DEL_VERBS, BETWEEN, alt,
             alt, DEL_VERBS);
    e->pattern = e->own_pattern;
    e->name = nn->name;
    e->kind = K_DESTROY;
    e->text = T_WORDS;
    e->flags = F_FALLBACK;
    e->severity = nn->severity;
    e->irreversible = nn->irreversible;
    e->resource = nn->resource;
    e->scope = nn->scope_delete;
    cat->n_destructive++;
  }
  struct entry *h = push_entry(cat, cap);
  if (!h) goto out;
  size_t len = strlen(alt) + 8;
  h->own_pattern = malloc(len);
  if (!h->own_pattern) goto out;
  snprintf(h->own_pattern, len, "\\b%s\\b", alt);
  h->pattern = h->own_pattern;
  h->name = nn->name;
  h->kind = K_NOUN;
  h->text = T_WORDS;
  h->noun = i;
  rc = SR_OK;
out:
  free(alt);
  return rc;
}

static int add_builtins(struct sr_catalogue *cat, size_t *cap) {
  for (size_t i = 0; i < SR_ARRAY_LEN(raw_destructive); i++)
    if (add_builtin(cat, cap, &raw_destructive[i], T_RAW)) return SR_ENOMEM;
  for (size_t i = 0; i < SR_ARRAY_LEN(word_destructive); i++)
    if (add_builtin(cat, cap, &word_destructive[i], T_WORDS)) return SR_ENOMEM;
  for (size_t i = 0; i < SR_ARRAY_LEN(nouns); i++)
    if (add_noun(cat, cap, (int)i)) return SR_ENOMEM;
  for (size_t i = 0; i < SR_ARRAY_LEN(masks); i++) {
    struct entry *e = push_entry(cat, cap);
    if (!e) return SR_ENOMEM;
    e->name = masks[i].name;
    e->kind = masks[i].kind;
    e->text = T_RAW;
    e->flags = (uint8_t)masks[i].flags;
    e->severity = masks[i].factor;
    e->applies = masks[i].applies;
    if (!(e->own_pattern = expand_spaces(masks[i].pattern))) return SR_ENOMEM;
    e->pattern = e->own_pattern;
  }
  for (size_t i = 0; i < SR_ARRAY_LEN(hints); i++) {
    struct entry *e = push_entry(cat, cap);
    if (!e) return SR_ENOMEM;
    e->name = hints[i].name;
    e->kind = K_HINT;
    e->text = T_RAW;
    e->verb = hints[i].verb;
    e->flags = (uint8_t)hints[i].flags;
    if (!(e->own_pattern = expand_spaces(hints[i].pattern))) return SR_ENOMEM;
    e->pattern = e->own_pattern;
  }
  for (size_t i = 0; i < SR_ARRAY_LEN(verbs); i++) {
    struct entry *e = push_entry(cat, cap);
    if (!e) return SR_ENOMEM;
    e->name = verbs[i].name;
    e->kind = K_VERB;
    e->text = T_WORDS;
    e->verb = verbs[i].verb;
    e->pattern = verbs[i].pattern;
  }
  return SR_OK;
}

/* --- configuration ----------------------------------------------------- */

static bool is_list(const struct sr_conf_node *n) {
  return n && sr_conf_kind(n) == SR_CONF_LIST;
}

/* A section that must be a list (absent or empty scalar: nothing). */
static int section_list(const struct sr_conf_node *n, size_t max,
                        char *err, size_t errlen) {
  if (!n) return SR_OK;
  if (sr_conf_kind(n) == SR_CONF_SCALAR) {
    const char *s = sr_conf_scalar(n);
    if (!s || !*s) return SR_OK;
  }
  if (!is_list(n))
    return sr_conf_error(n, err, errlen, "expected a list of maps");
  if (sr_conf_len(n) > max)
    return sr_conf_error(n, err, errlen, "more than %zu entries", max);
  return SR_OK;
}

static const char *const entry_keys[] = {
    "name", "pattern", "words", "severity", "irreversible",
    "resource", "scope", NULL};

static int conf_destructive_one(struct sr_catalogue *cat, size_t *cap,
                                const struct sr_conf_node *item, char *err,
                                size_t errlen) {
  if (sr_conf_kind(item) != SR_CONF_MAP)
    return sr_conf_error(item, err, errlen, "expected a map");
  if (sr_conf_check_keys(item, entry_keys, err, errlen)) return SR_EINVAL;
  const char *name = NULL, *pattern = NULL, *resource = NULL, *scope = NULL;
  bool words = false, irreversible = true;
  double severity = -1;
  if (sr_conf_get_string(item, "name", NULL, &name, err, errlen) ||
      sr_conf_get_string(item, "pattern", NULL, &pattern, err, errlen) ||
      sr_conf_get_bool(item, "words", false, &words, err, errlen) ||
      sr_conf_get_double(item, "severity", -1, 0, 1, &severity, err, errlen) ||
      sr_conf_get_bool(item, "irreversible", true, &irreversible, err,
                       errlen) ||
      sr_conf_get_string(item, "resource", NULL, &resource, err, errlen) ||
      sr_conf_get_string(item, "scope", NULL, &scope, err, errlen))
    return SR_EINVAL;
  if (!name || !*name)
    return sr_conf_error(item, err, errlen, "missing 'name'");
  if (!pattern || !*pattern)
    return sr_conf_error(item, err, errlen, "entry '%s': missing 'pattern'",
                         name);
  if (severity < 0)
    return sr_conf_error(item, err, errlen, "entry '%s': missing 'severity'",
                         name);
  for (size_t i = 0; i < cat->n_entries; i++) {
    if (cat->entries[i].kind == K_DESTROY &&
        strcmp(cat->entries[i].name, name) == 0)
      return sr_conf_error(item, err, errlen,
                           "duplicate catalogue entry name '%s'", name);
  }
  struct entry *e = push_entry(cat, cap);
  if (!e) return sr_conf_error(item, err, errlen, "out of memory");
  e->name = name;
  e->pattern = pattern;
  e->kind = K_DESTROY;
  e->text = words ? T_WORDS : T_RAW;
  e->severity = (float)severity;
  e->irreversible = irreversible;
  e->resource = resource && *resource ? resource : NULL;
  e->node = sr_conf_get(item, "pattern");
  if (scope && *scope) {
    e->scope = scope;
  } else if (e->resource) {
    size_t len = strlen(e->resource) + sizeof(":delete");
    if (!(e->own_scope = malloc(len)))
      return sr_conf_error(item, err, errlen, "out of memory");
    snprintf(e->own_scope, len, "%s:delete", e->resource);
    e->scope = e->own_scope;
  }
  cat->n_destructive++;
  return SR_OK;
}

static int conf_catalogue(struct sr_catalogue *cat, size_t *cap,
                          const struct sr_conf_node *root, char *err,
                          size_t errlen) {
  const struct sr_conf_node *sec = sr_conf_get(root, "catalogue");
  if (!sec) return SR_OK;
  if (sr_conf_kind(sec) == SR_CONF_SCALAR) {
    const char *s = sr_conf_scalar(sec);
    if (!s || !*s) return SR_OK;
    return sr_conf_error(sec, err, errlen, "expected a map");
  }
  static const char *const keys[] = {"destructive", NULL};
  if (sr_conf_kind(sec) != SR_CONF_MAP)
    return sr_conf_error(sec, err, errlen, "expected a map");
  if (sr_conf_check_keys(sec, keys, err, errlen)) return SR_EINVAL;
  const struct sr_conf_node *list = sr_conf_get(sec, "destructive");
  if (section_list(list, CONF_ENTRIES_MAX, err, errlen)) return SR_EINVAL;
  if (!is_list(list)) return SR_OK;
  for (size_t i = 0; i < sr_conf_len(list); i++) {
    if (conf_destructive_one(cat, cap, sr_conf_at(list, i), err, errlen))
      return SR_EINVAL;
  }
  return SR_OK;
}

static uint64_t id_hash(sr_str id) { return XXH3_64bits(id.p, id.n); }

/* Builds an index over n ids read through get(i). */
static int index_build(struct id_index *ix, size_t n,
                       sr_str (*get)(const void *, size_t), const void *arr) {
  uint32_t size = 16;
  while (size < n * 2) size *= 2;
  ix->slots = calloc(size, sizeof(uint32_t));
  if (!ix->slots) return SR_ENOMEM;
  ix->mask = size - 1;
  for (size_t i = 0; i < n; i++) {
    uint32_t h = (uint32_t)id_hash(get(arr, i)) & ix->mask;
    while (ix->slots[h]) h = (h + 1) & ix->mask;
    ix->slots[h] = (uint32_t)i + 1;
  }
  return SR_OK;
}

/* Position + 1 of `id`, 0 when absent. */
static uint32_t index_find(const struct id_index *ix, sr_str id,
                           sr_str (*get)(const void *, size_t),
                           const void *arr) {
  if (!ix->slots || id.n == 0) return 0;
  uint32_t h = (uint32_t)id_hash(id) & ix->mask;
  while (ix->slots[h]) {
    if (sr_str_eq(get(arr, ix->slots[h] - 1), id)) return ix->slots[h];
    h = (h + 1) & ix->mask;
  }
  return 0;
}

static sr_str cred_id_at(const void *arr, size_t i) {
  return ((const struct cred *)arr)[i].id;
}

static sr_str res_id_at(const void *arr, size_t i) {
  return ((const struct resource *)arr)[i].id;
}

/* Reads a list of scalar strings into pool[*used...]; canonical envs when
 * `envs`. */
static int conf_str_list(const struct sr_conf_node *item, const char *key,
                         bool envs, sr_str *pool, size_t *used,
                         sr_str **out, uint32_t *n, bool *present, char *err,
                         size_t errlen) {
  const char **vals = NULL;
  size_t count = 0;
  if (sr_conf_get_strings(item, key, &vals, CRED_LIST_MAX, &count, err,
                          errlen))
    return SR_EINVAL;
  if (present) *present = sr_conf_get(item, key) != NULL;
  *out = pool + *used;
  *n = (uint32_t)count;
  for (size_t i = 0; i < count; i++) {
    sr_str s = sr_str_from(vals[i]);
    pool[(*used)++] = envs ? sr_env_canonical(s) : s;
  }
  return SR_OK;
}

static const char *const cred_keys[] = {"id", "scopes", "purpose",
                                        "environments", NULL};

static int conf_credentials(struct sr_catalogue *cat,
                            const struct sr_conf_node *root, char *err,
                            size_t errlen) {
  const struct sr_conf_node *list = sr_conf_get(root, "credentials");
  if (section_list(list, CREDS_MAX, err, errlen)) return SR_EINVAL;
  if (!is_list(list)) return SR_OK;
  size_t n = sr_conf_len(list);
  cat->creds = calloc(n ? n : 1, sizeof(*cat->creds));
  cat->cred_lists = calloc(n * 2 * CRED_LIST_MAX + 1, sizeof(sr_str));
  if (!cat->creds || !cat->cred_lists)
    return sr_conf_error(list, err, errlen, "out of memory");
  size_t used = 0;
  for (size_t i = 0; i < n; i++) {
    const struct sr_conf_node *item = sr_conf_at(list, i);
    if (sr_conf_kind(item) != SR_CONF_MAP)
      return sr_conf_error(item, err, errlen, "expected a map");
    if (sr_conf_check_keys(item, cred_keys, err, errlen)) return SR_EINVAL;
    struct cred *c = &cat->creds[i];
    const char *id = NULL, *purpose = NULL;
    if (sr_conf_get_string(item, "id", NULL, &id, err, errlen) ||
        sr_conf_get_string(item, "purpose", NULL, &purpose, err, errlen))
      return SR_EINVAL;
    if (!id || !*id) return sr_conf_error(item, err, errlen, "missing 'id'");
    c->id = sr_str_from(id);
    c->purpose = sr_str_from(purpose);
    if (conf_str_list(item, "scopes", false, cat->cred_lists, &used,
                      &c->scopes, &c->n_scopes, &c->scopes_set, err, errlen) ||
        conf_str_list(item, "environments", true, cat->cred_lists, &used,
                      &c->envs, &c->n_envs, NULL, err, errlen))
      return SR_EINVAL;
    for (size_t j = 0; j < i; j++) {
      if (sr_str_eq(cat->creds[j].id, c->id))
        return sr_conf_error(item, err, errlen, "duplicate credential id '%s'",
                             id);
    }
    cat->n_creds = i + 1;
  }
  if (index_build(&cat->cred_index, cat->n_creds, cred_id_at, cat->creds))
    return sr_conf_error(list, err, errlen, "out of memory");
  return SR_OK;
}

static const char *const res_keys[] = {"id", "kind", "environment", "backups",
                                       NULL};

static int parse_backups(const char *s, enum sr_backups *out) {
  sr_str v = sr_str_from(s);
  if (!s || !*s || sr_str_eq_nocase(v, "unknown")) *out = SR_BACKUPS_UNKNOWN;
  else if (sr_str_eq_nocase(v, "co-located") ||
           sr_str_eq_nocase(v, "co_located") ||
           sr_str_eq_nocase(v, "colocated"))
    *out = SR_BACKUPS_CO_LOCATED;
  else if (sr_str_eq_nocase(v, "off-site") || sr_str_eq_nocase(v, "off_site") ||
           sr_str_eq_nocase(v, "offsite"))
    *out = SR_BACKUPS_OFF_SITE;
  else if (sr_str_eq_nocase(v, "none"))
    *out = SR_BACKUPS_NONE;
  else
    return SR_EINVAL;
  return SR_OK;
}

static int conf_resources(struct sr_catalogue *cat,
                          const struct sr_conf_node *root, char *err,
                          size_t errlen) {
  const struct sr_conf_node *list = sr_conf_get(root, "resources");
  if (section_list(list, RESOURCES_MAX, err, errlen)) return SR_EINVAL;
  if (!is_list(list)) return SR_OK;
  size_t n = sr_conf_len(list);
  cat->res = calloc(n ? n : 1, sizeof(*cat->res));
  if (!cat->res) return sr_conf_error(list, err, errlen, "out of memory");
  for (size_t i = 0; i < n; i++) {
    const struct sr_conf_node *item = sr_conf_at(list, i);
    if (sr_conf_kind(item) != SR_CONF_MAP)
      return sr_conf_error(item, err, errlen, "expected a map");
    if (sr_conf_check_keys(item, res_keys, err, errlen)) return SR_EINVAL;
    const char *id = NULL, *kind = NULL, *env = NULL, *backups = NULL;
    if (sr_conf_get_string(item, "id", NULL, &id, err, errlen) ||
        sr_conf_get_string(item, "kind", NULL, &kind, err, errlen) ||
        sr_conf_get_string(item, "environment", NULL, &env, err, errlen) ||
        sr_conf_get_string(item, "backups", NULL, &backups, err, errlen))
      return SR_EINVAL;
    if (!id || !*id) return sr_conf_error(item, err, errlen, "missing 'id'");
    struct resource *r = &cat->res[i];
    r->id = sr_str_from(id);
    r->kind = sr_str_from(kind);
    r->environment = sr_env_canonical(sr_str_from(env));
    if (parse_backups(backups, &r->backups))
      return sr_conf_error(sr_conf_get(item, "backups"), err, errlen,
                           "expected co-located, off-site or none, got '%s'",
                           backups);
    for (size_t j = 0; j < i; j++) {
      if (sr_str_eq(cat->res[j].id, r->id))
        return sr_conf_error(item, err, errlen, "duplicate resource id '%s'",
                             id);
    }
    cat->n_res = i + 1;
  }
  if (index_build(&cat->res_index, cat->n_res, res_id_at, cat->res))
    return sr_conf_error(list, err, errlen, "out of memory");
  return SR_OK;
}

/* --- Hyperscan --------------------------------------------------------- */

/* A regex matching `id` literally. Caller frees. */
static char *escape_literal(sr_str id) {
  char *out = malloc(id.n * 4 + 1);
  if (!out) return NULL;
  char *o = out;
  for (size_t i = 0; i < id.n; i++) {
    unsigned char c = (unsigned char)id.p[i];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9') || c == '_') {
      *o++ = (char)c;
    } else {
      o += sprintf(o, "\\x%02x", c);
    }
  }
  *o = '\0';
  return out;
}

static unsigned hs_flags_for(const struct entry *e) {
  unsigned f = 0;
  if (e->text == T_RAW && !(e->flags & F_CASEFUL)) f |= HS_FLAG_CASELESS;
  if (e->text == T_WORDS && e->node) f |= HS_FLAG_CASELESS; /* configured */
  switch (e->kind) {
    case K_DESTROY:
    case K_MASK_START:
    case K_MASK_SEGMENT:
      f |= HS_FLAG_SOM_LEFTMOST;
      break;
    default:
      f |= HS_FLAG_SINGLEMATCH;
  }
  return f;
}

static int compile_db(struct sr_catalogue *cat, enum text text, char *err,
                      size_t errlen) {
  size_t n = 0;
  for (size_t i = 0; i < cat->n_entries; i++) n += cat->entries[i].text == text;
  size_t n_ids = text == T_RAW ? cat->n_res : 0;
  if (n + n_ids == 0) return SR_OK;
  int rc = SR_ENOMEM;
  const char **exprs = calloc(n + n_ids, sizeof(*exprs));
  unsigned *flags = calloc(n + n_ids, sizeof(*flags));
  unsigned *ids = calloc(n + n_ids, sizeof(*ids));
  char **lits = calloc(n_ids + 1, sizeof(*lits));
  hs_compile_error_t *cerr = NULL;
  if (!exprs || !flags || !ids || !lits) {
    snprintf(err, errlen, "catalogue: out of memory");
    goto out;
  }
  size_t k = 0;
  for (size_t i = 0; i < cat->n_entries; i++) {
    const struct entry *e = &cat->entries[i];
    if (e->text != text) continue;
    exprs[k] = e->pattern;
    flags[k] = hs_flags_for(e);
    ids[k] = (unsigned)i;
    k++;
  }
  for (size_t i = 0; i < n_ids; i++) {
    if (!(lits[i] = escape_literal(cat->res[i].id))) {
      snprintf(err, errlen, "catalogue: out of memory");
      goto out;
    }
    exprs[k] = lits[i];
    flags[k] = 0;
    ids[k] = ID_RESOURCE | (unsigned)i;
    k++;
  }
  if (hs_compile_multi(exprs, flags, ids, (unsigned)k, HS_MODE_BLOCK, NULL,
                       &cat->db[text], &cerr) != HS_SUCCESS) {
    rc = SR_EINVAL;
    int x = cerr ? cerr->expression : -1;
    const char *msg = cerr ? cerr->message : "unknown error";
    if (x >= 0 && (size_t)x < n) {
      const struct entry *e = &cat->entries[ids[x]];
      if (e->node)
        sr_conf_error(e->node, err, errlen,
                      "catalogue entry '%s': invalid pattern: %s", e->name,
                      msg);
      else
        snprintf(err, errlen, "catalogue: built-in entry '%s': %s", e->name,
                 msg);
    } else if (x >= 0) {
      snprintf(err, errlen, "catalogue: resource id '%.*s': %s",
               (int)cat->res[ids[x] & ~ID_RESOURCE].id.n,
               cat->res[ids[x] & ~ID_RESOURCE].id.p, msg);
    } else {
      snprintf(err, errlen, "catalogue: hyperscan: %s", msg);
    }
    goto out;
  }
  rc = SR_OK;
out:
  if (cerr) hs_free_compile_error(cerr);
  if (lits)
    for (size_t i = 0; i < n_ids; i++) free(lits[i]);
  free(lits);
  free(ids);
  free(flags);
  free(exprs);
  return rc;
}

struct sr_catalogue *sr_catalogue_create(const struct sr_conf_node *root,
                                         char *err, size_t errlen) {
  if (hs_valid_platform() != HS_SUCCESS) {
    snprintf(err, errlen,
             "catalogue: this CPU lacks the instructions Hyperscan needs "
             "(SSSE3 at least)");
    return NULL;
  }
  struct sr_catalogue *cat = calloc(1, sizeof(*cat));
  if (!cat) {
    snprintf(err, errlen, "catalogue: out of memory");
    return NULL;
  }
  size_t cap = 0;
  if (add_builtins(cat, &cap)) {
    snprintf(err, errlen, "catalogue: out of memory");
    goto fail;
  }
  if (root && sr_conf_kind(root) != SR_CONF_MAP) {
    sr_conf_error(root, err, errlen, "expected a map");
    goto fail;
  }
  if (conf_catalogue(cat, &cap, root, err, errlen) ||
      conf_credentials(cat, root, err, errlen) ||
      conf_resources(cat, root, err, errlen))
    goto fail;
  if (compile_db(cat, T_RAW, err, errlen) ||
      compile_db(cat, T_WORDS, err, errlen))
    goto fail;
  /* Patterns were copied into the databases. */
  for (size_t i = 0; i < cat->n_entries; i++) {
    free(cat->entries[i].own_pattern);
    cat->entries[i].own_pattern = NULL;
    cat->entries[i].pattern = NULL;
  }
  return cat;
fail:
  sr_catalogue_destroy(cat);
  return NULL;
}

void sr_catalogue_destroy(struct sr_catalogue *cat) {
  if (!cat) return;
  for (size_t i = 0; i < cat->n_entries; i++) {
    free(cat->entries[i].own_pattern);
    free(cat->entries[i].own_scope);
  }
  free(cat->entries);
  hs_free_database(cat->db[T_RAW]);
  hs_free_database(cat->db[T_WORDS]);
  free(cat->creds);
  free(cat->cred_lists);
  free(cat->cred_index.slots);
  free(cat->res);
  free(cat->res_index.slots);
  free(cat);
}

size_t sr_catalogue_size(const struct sr_catalogue *cat) {
  return cat ? cat->n_destructive : 0;
}

struct sr_catalogue_scratch *sr_catalogue_scratch_create(
    const struct sr_catalogue *cat) {
  assert(cat);
  struct sr_catalogue_scratch *s = malloc(sizeof(*s));
  if (!s) return NULL;
  s->cat = cat;
  s->hs = NULL;
  for (int t = 0; t < 2; t++) {
    if (cat->db[t] && hs_alloc_scratch(cat->db[t], &s->hs) != HS_SUCCESS) {
      sr_catalogue_scratch_destroy(s);
      return NULL;
    }
  }
  return s;
}

void sr_catalogue_scratch_destroy(struct sr_catalogue_scratch *s) {
  if (!s) return;
  hs_free_scratch(s->hs);
  free(s);
}

/* ---------------------------------------------------------------------- */
/* Classification                                                           */
/* ---------------------------------------------------------------------- */

/* The word normaliser's view of a byte. */
enum { B_SEP, B_WORD, B_BREAK };

static inline int byte_class(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
      (c >= '0' && c <= '9') || c >= 0x80)
    return B_WORD;
  switch (c) {
    case '_': case '-': case '.': case ':': case '/': case '@':
      return B_WORD;
    case ';': case '|': case '&': case '\n': case '\r': case '#':
      return B_BREAK;
    default:
      return B_SEP;
  }
}

static inline bool is_alnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c >= 0x80;
}
static inline bool is_upper(unsigned char c) { return c >= 'A' && c <= 'Z'; }
static inline bool is_lower(unsigned char c) {
  return (c >= 'a' && c <= 'z') || c >= 0x80;
}
static inline bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

/* File name extensions whose tokens are left out of the word form. */
static bool file_ext(const char *p, size_t n) {
  static const char *const exts[] = {
      "md",  "txt", "rst", "json", "yaml", "yml", "toml", "ini", "cfg",
      "conf", "log", "csv", "sql",  "py",   "js",  "ts",   "tsx", "jsx",
      "go",  "rs",  "c",   "h",    "cc",   "cpp", "java", "rb",  "php",
      "sh",  "html", "css", "lock", "tf",  "xml", "pdf",  "png", "jpg"};
  if (n == 0 || n > 4) return false;
  for (size_t i = 0; i < SR_ARRAY_LEN(exts); i++) {
    if (strlen(exts[i]) == n && memcmp(exts[i], p, n) == 0) return true;
  }
  return false;
}

/* Appends one character of the word form, remembering where it came from. */
#define PUT(ch, at)             \
  do {                          \
    s->words[o] = (char)(ch);   \
    s->wpos[o++] = (uint32_t)(at); \
  } while (0)

/* Appends the token raw[a, b) (B_WORD bytes, no '/'): a leading '-' of a
 * flag is kept, other punctuation splits words, camelCase splits, all is
 * lowercased. Returns the new length. */
static size_t emit_token(struct sr_catalogue_scratch *s, size_t o, size_t a,
                         size_t b) {
  const unsigned char *t = (const unsigned char *)s->raw;
  size_t j = a;
  bool brk = true;
  if (t[j] == '-') {
    while (j < b && t[j] == '-') j++;
    if (j == b || !is_alnum(t[j])) return o; /* a lone "-" or "--" */
    if (o && s->words[o - 1] != ' ') PUT(' ', a);
    for (size_t k = a; k < j; k++) PUT('-', k);
    brk = false;
  }
  unsigned char prev = 0;
  for (; j < b; j++) {
    unsigned char c = t[j];
    if (!is_alnum(c)) {
      brk = true;
      prev = 0;
      continue;
    }
    bool split = brk;
    if (is_upper(c) && prev &&
        (is_lower(prev) || is_digit(prev) ||
         (is_upper(prev) && j + 1 < b && t[j + 1] >= 'a' && t[j + 1] <= 'z')))
      split = true;
    if (split && o && s->words[o - 1] != ' ') PUT(' ', j);
    brk = false;
    PUT(is_upper(c) ? c + 32 : c, j);
    prev = c;
  }
  return o;
}

/* Builds the word form of s->raw into s->words, bounded by WORDS_CAP. */
static void normalise(struct sr_catalogue_scratch *s) {
  const unsigned char *in = (const unsigned char *)s->raw;
  size_t n = s->raw_len, i = 0, o = 0;
  char brk = 0;
  while (i < n) {
    unsigned char c = in[i];
    int k = byte_class(c);
    if (k == B_BREAK || (c == '\\' && i + 1 < n &&
                         (in[i + 1] == 'n' || in[i + 1] == 'r'))) {
      bool pipe = c == '|' && !(i + 1 < n && in[i + 1] == '|') &&
                  !(i > 0 && in[i - 1] == '|');
      if (brk != ';') brk = pipe ? '|' : ';';
      i += c == '\\' ? 2 : 1;
      continue;
    }
    if (k == B_SEP) {
      i++;
      continue;
    }
    size_t a = i, dot = SIZE_MAX;
    bool slash = false;
    for (; i < n && byte_class(in[i]) == B_WORD; i++) {
      if (in[i] == '/') slash = true;
      else if (in[i] == '.') dot = i;
    }
    /* Paths, URLs and file names name things; they do not act on them. */
    if (slash || (dot != SIZE_MAX && file_ext((const char *)in + dot + 1,
                                              i - dot - 1)))
      continue;
    /* A camel split at most doubles a token; 3 more for " ; ". */
    if (o + 2 * (i - a) + 3 > WORDS_CAP) break;
    if (brk && o) {
      PUT(' ', a);
      PUT(brk, a);
    }
    brk = 0;
    o = emit_token(s, o, a, i);
  }
  s->words_len = o;
}

#undef PUT

struct scan_ctx {
  struct sr_catalogue_scratch *s;
  const struct sr_catalogue *cat;
  uint8_t text;
};

static inline bool id_byte(unsigned char c) {
  return is_alnum(c) || c == '_' || c == '-' || c == '.';
}

static void add_cand(struct cand *arr, uint32_t *n, uint32_t cap,
                     const struct entry *entries, uint32_t entry,
                     uint32_t from, uint32_t to) {
  for (uint32_t i = 0; i < *n; i++) {
    if (arr[i].entry == entry && arr[i].from == from) {
      if (to > arr[i].to) arr[i].to = to;
      return;
    }
  }
  if (*n < cap) {
    arr[(*n)++] = (struct cand){entry, from, to};
    return;
  }
  /* Full: keep the worst ones. */
  uint32_t low = 0;
  for (uint32_t i = 1; i < *n; i++)
    if (entries[arr[i].entry].severity < entries[arr[low].entry].severity)
      low = i;
  if (entries[entry].severity > entries[arr[low].entry].severity)
    arr[low] = (struct cand){entry, from, to};
}

static int on_match(unsigned int id, unsigned long long from,
                    unsigned long long to, unsigned int flags, void *ctx) {
  struct scan_ctx *c = ctx;
  struct sr_catalogue_scratch *s = c->s;
  (void)flags;
  if (id & ID_RESOURCE) {
    size_t len = c->cat->res[id & ~ID_RESOURCE].id.n;
    size_t f = (size_t)to - len;
    const unsigned char *raw = (const unsigned char *)s->raw;
    bool ok = (f == 0 || !id_byte(raw[f - 1])) &&
              (to >= s->raw_len || !id_byte(raw[to]));
    if (ok && (!s->res_found || f < s->res_from)) {
      s->res_found = (id & ~ID_RESOURCE) + 1;
      s->res_from = (uint32_t)f;
    }
    return 0;
  }
  const struct entry *e = &c->cat->entries[id];
  if (c->text == T_WORDS) {
    /* Back to raw coordinates; a SINGLEMATCH hit has no start. */
    assert(to > 0 && to <= s->words_len);
    from = e->kind == K_DESTROY ? s->wpos[from] : 0;
    to = s->wpos[to - 1] + 1;
  }
  switch (e->kind) {
    case K_DESTROY:
      add_cand(s->cands, &s->n_cands, CANDS_MAX, c->cat->entries, id,
               (uint32_t)from, (uint32_t)to);
      break;
    case K_MASK_START:
    case K_MASK_SEGMENT:
      add_cand(s->masks, &s->n_masks, MASKS_MAX, c->cat->entries, id,
               (uint32_t)from, (uint32_t)to);
      break;
    case K_HINT:
      if (e->verb > s->hint_verb) s->hint_verb = e->verb;
      if (e->flags & F_GRAPHQL) s->graphql = true;
      break;
    case K_VERB:
      if (to <= s->tool_len && e->verb > s->name_verb) s->name_verb = e->verb;
      break;
    case K_NOUN:
      if (to <= s->tool_len) {
        if (s->noun_tool < 0 || to < s->noun_tool_to) {
          s->noun_tool = e->noun;
          s->noun_tool_to = (uint32_t)to;
        }
      } else if (s->noun_args < 0 || to < s->noun_args_to) {
        s->noun_args = e->noun;
        s->noun_args_to = (uint32_t)to;
      }
      break;
    default:
      assert(!"unknown entry kind");
  }
  return 0;
}

static void add_sep(struct sr_catalogue_scratch *s, size_t at, char kind) {
  if (s->n_seps == SEPS_MAX) {
    s->seps_overflow = true;
    return;
  }
  s->sep_pos[s->n_seps] = (uint32_t)at;
  s->sep_kind[s->n_seps++] = kind;
}

/*
 * Records the unquoted shell separators of the arguments (; | & || &&,
 * newlines, # comments) and, for JSON arguments, the boundaries of every
 * JSON string, so that `{"command":"ls","description":"--dry-run"}` keeps
 * its description out of the command's segment. Shell quotes are tracked:
 * in `echo 'a; b' | psql` only the pipe separates.
 */
static void find_separators(struct sr_catalogue_scratch *s) {
  const char *t = s->raw;
  size_t n = s->raw_len, i = s->tool_len + 1;
  s->seps_done = true;
  while (i < n && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n')) i++;
  bool json = i < n && (t[i] == '{' || t[i] == '[');
  bool in_str = !json;
  char q = 0; /* shell quote we are in */
  for (; i < n; i++) {
    char c = t[i];
    char prev = i ? t[i - 1] : ' ', next = i + 1 < n ? t[i + 1] : '\0';
    if (json && !in_str) {
      if (c == '"') {
        in_str = true;
        q = 0;
        add_sep(s, i, ';');
      }
      continue;
    }
    if (c == '\\') {
      if (json && next == '"' && q != '\'') q = q == '"' ? 0 : '"';
      if (json && (next == 'n' || next == 'r') && !q) add_sep(s, i, ';');
      i++;
      continue;
    }
    if (c == '"') {
      if (json) {
        in_str = false;
        add_sep(s, i, ';');
      } else if (q != '\'') {
        q = q == '"' ? 0 : '"';
      }
      continue;
    }
    if (c == '\'' && q != '"') {
      q = q == '\'' ? 0 : '\'';
      continue;
    }
    if (q) continue;
    switch (c) {
      case ';': case '\n': case '\r':
        add_sep(s, i, ';');
        break;
      case '|':
        add_sep(s, i, next == '|' ? ';' : '|');
        if (next == '|') i++;
        break;
      case '&':
        if (prev == '>' || next == '>') break; /* 2>&1, &> */
        add_sep(s, i, ';');
        if (next == '&') i++;
        break;
      case '#':
        if (prev == ' ' || prev == '\t' || prev == '"') add_sep(s, i, ';');
        break;
      default:
        break;
    }
  }
}

/* No separator between raw offsets a and b. */
static bool same_segment(struct sr_catalogue_scratch *s, uint32_t a,
                         uint32_t b) {
  if (!s->seps_done) find_separators(s);
  uint32_t lo = SR_MIN(a, b), hi = SR_MAX(a, b);
  for (uint32_t i = 0; i < s->n_seps; i++)
    if (s->sep_pos[i] >= lo && s->sep_pos[i] < hi) return false;
  if (s->seps_overflow && (!s->n_seps || hi > s->sep_pos[s->n_seps - 1]))
    return false; /* past what we recorded: assume the worst */
  return true;
}

/* The segment from `at` on ends in a pipe into another command. */
static bool pipes_on(struct sr_catalogue_scratch *s, uint32_t at) {
  if (!s->seps_done) find_separators(s);
  for (uint32_t i = 0; i < s->n_seps; i++)
    if (s->sep_pos[i] >= at) return s->sep_kind[i] == '|';
  return false;
}

/* Where a candidate sits for segment tests: its first alphanumeric byte
 * (a match may begin with the quote or separator before a command). */
static uint32_t anchor(const struct sr_catalogue_scratch *s,
                       const struct cand *c) {
  uint32_t i = c->from;
  while (i < c->to && !is_alnum((unsigned char)s->raw[i])) i++;
  return i;
}

/* Severity of candidate c after the masks that cover it; *mention when a
 * covering mask says the command is only mentioned. */
static float damped(struct sr_catalogue_scratch *s, const struct cand *c,
                    bool *masked, bool *mention) {
  const struct entry *entries = s->cat->entries;
  const struct entry *e = &entries[c->entry];
  float sev = e->severity;
  for (uint32_t i = 0; i < s->n_masks; i++) {
    const struct cand *m = &s->masks[i];
    const struct entry *me = &entries[m->entry];
    if (me->applies && strncmp(e->name, me->applies, strlen(me->applies)))
      continue;
    bool covers;
    if (me->kind == K_MASK_START) {
      covers = c->from >= m->from && c->from < m->to;
    } else {
      covers = same_segment(s, anchor(s, c), m->to - 1) &&
               !((me->flags & F_NO_PIPE) && pipes_on(s, m->to - 1));
    }
    if (!covers) continue;
    sev *= me->severity;
    *masked = true;
    if (me->flags & F_MENTION) *mention = true;
  }
  return sev;
}

/* Index into nouns[] of a plain token, -1 if none. */
static int noun_of(const char *p, size_t n) {
  if (n == 0 || n > 24) return -1;
  for (size_t i = 0; i < SR_ARRAY_LEN(nouns); i++) {
    const char *w = nouns[i].words;
    while (*w) {
      const char *e = strchr(w, ' ');
      size_t len = e ? (size_t)(e - w) : strlen(w);
      if (len == n) {
        size_t k = 0;
        while (k < n && (p[k] | 0x20) == w[k]) k++;
        if (k == n) return (int)i;
      }
      w += len;
      while (*w == ' ') w++;
    }
  }
  return -1;
}

static inline bool is_alpha(char c) {
  return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* Last resource noun among the alphabetic runs of [p, p+n): the kind a
 * `kubectl delete ...`, `gcloud ... delete` or DELETE /v1/volumes/x acts on. */
static int noun_in(const char *p, size_t n) {
  int found = -1;
  size_t i = 0;
  while (i < n) {
    while (i < n && !is_alpha(p[i])) i++;
    size_t a = i;
    while (i < n && is_alpha(p[i])) i++;
    int k = noun_of(p + a, i - a);
    if (k >= 0) found = k;
  }
  return found;
}

/* Resource of an HTTP-style deletion: the last noun of the first URL or
 * absolute path near the match (512 bytes either side). */
static int noun_of_url(const struct sr_catalogue_scratch *s,
                       const struct cand *c) {
  size_t hi = SR_MIN(s->raw_len, (size_t)c->to + 512);
  size_t lo = c->from > 512 ? c->from - 512 : 0;
  const char *t = s->raw;
  for (size_t i = lo; i + 1 < hi; i++) {
    bool url = i + 3 < hi && memcmp(t + i, "://", 3) == 0;
    bool path = t[i] == '/' && i > 0 &&
                (t[i - 1] == ' ' || t[i - 1] == '"' || t[i - 1] == '\'');
    if (!url && !path) continue;
    size_t a = url ? i + 3 : i, b = a;
    while (b < hi && t[b] != ' ' && t[b] != '"' && t[b] != '\'' &&
           t[b] != '\\' && t[b] != '?')
      b++;
    int k = noun_in(t + a, b - a);
    if (k >= 0) return k;
    i = b;
  }
  return -1;
}

/* A view of raw[from, to): into the event when the span lies in the tool
 * name or in the arguments, else into the scratch. Quotes, braces and
 * blanks that patterns match around a command are trimmed. */
static sr_str raw_view(const struct sr_catalogue_scratch *s,
                       const struct sr_event *ev, uint32_t from, uint32_t to) {
  static const char lead[] = " \t\n\"'`{;&|(\\";
  static const char trail[] = " \t\n\"'`};&|\\";
  while (from < to && s->raw[from] && strchr(lead, s->raw[from])) from++;
  while (to > from && s->raw[to - 1] && strchr(trail, s->raw[to - 1])) to--;
  if (to <= s->tool_len) return (sr_str){ev->tool.p + from, to - from};
  if (from > s->tool_len)
    return (sr_str){ev->arguments.p + (from - s->tool_len - 1), to - from};
  return (sr_str){s->raw + from, to - from};
}

static const struct fixed_tool *fixed_tool_of(sr_str tool) {
  for (size_t i = 0; i < SR_ARRAY_LEN(fixed_tools); i++)
    if (sr_str_eq_cstr(tool, fixed_tools[i].name)) return &fixed_tools[i];
  return NULL;
}

/*
 * A tool whose own name says what it does with its arguments, and it is
 * not running them: `mcp__github__get_file_contents`, `railway.listVolumes`
 * only read; `mcp__github__create_issue`, `slack.postMessage` carry text.
 * A PR body that quotes `rm -rf /` deletes nothing. Tools named by a
 * generic verb (`mcp__db__query`, `execute_sql`, `run_command`) are scanned.
 */
static bool args_are_data(sr_str tool) {
  static const char *const data_verbs[] = {
      "get",    "list",   "describe", "read",    "search", "fetch",
      "show",   "view",   "find",     "create",  "update", "add",
      "send",   "post",   "comment",  "reply",   "edit",   "write",
      "upload", "insert", "set",      "put",     "append", "save"};
  size_t a = 0;
  for (size_t i = 0; i + 1 < tool.n; i++) {
    if (tool.p[i] == '_' && tool.p[i + 1] == '_') a = i + 2;
    else if (tool.p[i] == '.') a = i + 1;
  }
  for (size_t k = 0; k < SR_ARRAY_LEN(data_verbs); k++) {
    size_t n = strlen(data_verbs[k]);
    if (tool.n - a > n &&
        sr_str_eq_nocase((sr_str){tool.p + a, n}, data_verbs[k])) {
      unsigned char next = (unsigned char)tool.p[a + n];
      if (next == '_' || next == '-' || is_upper(next)) return true;
    }
  }
  return false;
}

static const char *scope_for(int noun, enum sr_verb v) {
  if (noun < 0) return NULL;
  switch (v) {
    case SR_VERB_READ: return nouns[noun].scope_read;
    case SR_VERB_WRITE: return nouns[noun].scope_write;
    case SR_VERB_DELETE: return nouns[noun].scope_delete;
    default: return NULL;
  }
}

static int noun_index_of_resource(const char *res) {
  if (!res) return -1;
  for (size_t i = 0; i < SR_ARRAY_LEN(nouns); i++)
    if (strcmp(nouns[i].resource, res) == 0) return (int)i;
  return -1;
}

static void scan(const struct sr_catalogue *cat,
                 struct sr_catalogue_scratch *s, enum text t, const char *p,
                 size_t n) {
  if (!cat->db[t] || n == 0) return;
  struct scan_ctx ctx = {s, cat, (uint8_t)t};
  /* The callback never stops a scan, so only a corrupt database or a
   * scratch used by two threads at once can fail it: both are bugs. */
  hs_error_t rc = hs_scan(cat->db[t], p, (unsigned)n, 0, s->hs, on_match, &ctx);
  assert(rc == HS_SUCCESS);
  (void)rc;
}

/* Environment, target, backups: the event first, then the inventory. */
static void fill_target(const struct sr_catalogue *cat,
                        const struct sr_catalogue_scratch *s,
                        const struct sr_event *ev, struct sr_op *op) {
  const struct resource *r = NULL;
  if (!sr_str_empty(ev->target.id)) {
    op->target_id = ev->target.id;
    uint32_t k =
        index_find(&cat->res_index, ev->target.id, res_id_at, cat->res);
    if (k) r = &cat->res[k - 1];
  } else if (s && s->res_found) {
    r = &cat->res[s->res_found - 1];
    uint32_t from = s->res_from, to = from + (uint32_t)r->id.n;
    op->target_id = to <= s->tool_len
                        ? (sr_str){ev->tool.p + from, r->id.n}
                        : (sr_str){ev->arguments.p + (from - s->tool_len - 1),
                                   r->id.n};
  }
  op->environment = sr_env_canonical(ev->environment);
  if (sr_str_empty(op->environment))
    op->environment = sr_env_canonical(ev->target.environment);
  if (sr_str_empty(op->environment) && r) op->environment = r->environment;
  op->backups = ev->target.backups;
  if (op->backups == SR_BACKUPS_UNKNOWN && r) op->backups = r->backups;
}

/* The inline credential, completed by the registry. */
static void fill_credential(const struct sr_catalogue *cat,
                            struct sr_catalogue_scratch *s,
                            const struct sr_event *ev, struct sr_op *op) {
  const struct sr_credential_ref *ref = &ev->credential;
  struct sr_credential *c = &op->credential;
  if (sr_str_empty(ref->id)) return;
  c->id = ref->id;
  c->purpose = ref->purpose;
  if (ref->scopes_given) {
    c->scopes = ref->scopes.v;
    c->n_scopes = SR_MIN(ref->scopes.n, (uint32_t)SR_LIST_MAX);
    c->known = true;
  }
  uint32_t ne = SR_MIN(ref->environments.n, (uint32_t)SR_LIST_MAX);
  for (uint32_t i = 0; i < ne; i++)
    s->envs[i] = sr_env_canonical(ref->environments.v[i]);
  if (ne) {
    c->environments = s->envs;
    c->n_environments = ne;
  }
  uint32_t k = index_find(&cat->cred_index, ref->id, cred_id_at, cat->creds);
  if (!k) return;
  const struct cred *r = &cat->creds[k - 1];
  if (sr_str_empty(c->purpose)) c->purpose = r->purpose;
  if (!ref->scopes_given && r->scopes_set) {
    c->scopes = r->scopes;
    c->n_scopes = r->n_scopes;
    c->known = true;
  }
  if (!c->n_environments && r->n_envs) {
    c->environments = r->envs;
    c->n_environments = r->n_envs;
  }
}

static void reset_call(struct sr_catalogue_scratch *s) {
  s->n_cands = s->n_masks = 0;
  s->hint_verb = s->name_verb = SR_VERB_NONE;
  s->graphql = false;
  s->noun_tool = s->noun_args = -1;
  s->noun_tool_to = s->noun_args_to = 0;
  s->res_found = s->res_from = 0;
  s->seps_done = s->seps_overflow = false;
  s->n_seps = 0;
  s->raw_len = s->tool_len = s->words_len = 0;
}

static bool overlaps(const struct cand *a, const struct cand *b) {
  return a->from < b->to && b->from < a->to;
}

void sr_catalogue_classify(const struct sr_catalogue *cat,
                           struct sr_catalogue_scratch *s,
                           const struct sr_event *ev, struct sr_op *op) {
  assert(cat && s && ev && op && s->cat == cat);
  memset(op, 0, sizeof(*op));
  if (ev->type != SR_EV_TOOL_CALL) return;
  reset_call(s);
  fill_credential(cat, s, ev, op);

  const struct fixed_tool *ft = fixed_tool_of(ev->tool);
  if (ft) {
    fill_target(cat, NULL, ev, op);
    op->verb = ft->verb;
    op->mutating = ft->verb >= SR_VERB_WRITE;
    op->resource = ft->resource;
    op->needed_scope =
        scope_for(noun_index_of_resource(ft->resource), ft->verb);
    return;
  }

  /* raw = tool + ' ' + arguments (only the name when the args are data) */
  size_t tn = SR_MIN(ev->tool.n, (size_t)SR_NAME_MAX);
  size_t an = args_are_data(ev->tool)
                  ? 0
                  : SR_MIN(ev->arguments.n, (size_t)SR_TEXT_MAX);
  if (tn) memcpy(s->raw, ev->tool.p, tn);
  s->raw[tn] = ' ';
  if (an) memcpy(s->raw + tn + 1, ev->arguments.p, an);
  s->tool_len = tn;
  s->raw_len = tn + 1 + an;
  normalise(s);
  scan(cat, s, T_RAW, s->raw, s->raw_len);
  scan(cat, s, T_WORDS, s->words, s->words_len);
  fill_target(cat, s, ev, op);

  /* The worst destructive match after masks; a catch-all gives way to a
   * specific entry that matched the same bytes. */
  const struct cand *best = NULL;
  float best_sev = 0;
  bool best_masked = false, best_mention = false;
  for (uint32_t i = 0; i < s->n_cands; i++) {
    const struct cand *c = &s->cands[i];
    const struct entry *e = &cat->entries[c->entry];
    if (e->flags & F_FALLBACK) {
      bool shadowed = false;
      for (uint32_t j = 0; j < s->n_cands && !shadowed; j++)
        shadowed = !(cat->entries[s->cands[j].entry].flags & F_FALLBACK) &&
                   overlaps(c, &s->cands[j]);
      if (shadowed) continue;
    }
    bool masked = false, mention = false;
    float sev = damped(s, c, &masked, &mention);
    if (sev > best_sev ||
        (sev == best_sev && best && sev > 0 && c->entry < best->entry)) {
      best = c;
      best_sev = sev;
      best_masked = masked;
      best_mention = mention;
    }
  }

  int noun = s->noun_tool >= 0 ? s->noun_tool
                               : (s->graphql ? s->noun_args : -1);
  if (best && best_sev > 0) {
    const struct entry *e = &cat->entries[best->entry];
    op->destructive = best_sev;
    op->irreversible = e->irreversible && !best_masked;
    op->rule = e->name;
    op->matched = raw_view(s, ev, best->from, best->to);
    if (e->resource == RES_DERIVE) {
      int k = noun_of_url(s, best);
      if (k < 0) k = noun_in(s->raw + best->from, best->to - best->from);
      if (k < 0) k = noun;
      if (k >= 0 && nouns[k].severity > op->destructive && !best_masked)
        op->destructive = nouns[k].severity;
      op->resource = k >= 0 ? nouns[k].resource : NULL;
      op->needed_scope = scope_for(k, SR_VERB_DELETE);
    } else {
      op->resource = e->resource;
      op->needed_scope = e->scope;
    }
    /* A command that is only mentioned (echo, grep, a commit message)
     * keeps a trace of its severity but does not make the call a delete. */
    if (!best_mention) {
      op->verb = SR_VERB_DELETE;
      op->mutating = true;
      return;
    }
  }

  enum sr_verb v = (enum sr_verb)SR_MAX(s->hint_verb, s->name_verb);
  op->verb = v;
  op->mutating = v >= SR_VERB_WRITE;
  if (noun >= 0 && !op->resource) {
    op->resource = nouns[noun].resource;
    op->needed_scope = scope_for(noun, v);
  }
}

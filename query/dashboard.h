/*
 * The dashboard page, query/dashboard.html, embedded into the binary at
 * build time (query/embed.cmake), so `GET /` needs no file at run time and
 * the page loads no external asset.
 */
#ifndef SR_DASHBOARD_H
#define SR_DASHBOARD_H

#include <stddef.h>

extern const unsigned char sr_dashboard_html[];
extern const size_t sr_dashboard_html_len;

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file xmlout.h
 * @brief Sessions as an XML document shaped after ETSI TS 102 657
 *        network-access records (schema: retain-results.xsd, mapping:
 *        XML.md).  Used by output.c for --format xml.
 *
 * Text is raw wire bytes: valid UTF-8 is kept, other bytes are read as
 * Latin-1 (as in every output), then escaped for XML 1.0: & < > " as
 * entities, CR as &#13;, and the C0 controls XML 1.0 cannot carry at all
 * (U+0000-U+001F except TAB, LF, CR) as the matching Unicode "control
 * picture" U+2400 + c; U+FFFE and U+FFFF become U+FFFD.
 */
#ifndef CTL_XMLOUT_H
#define CTL_XMLOUT_H

#include <stdbool.h>
#include <stdio.h>

#include "registry.h"
#include "session.h"

/** XML namespace of the document. */
#define CTL_XML_NS "urn:retain:retained-data:1"

void ctl_xml_begin(FILE *f);
/**
 * One networkAccessRecord.  joined: the output is joined with a registry;
 * id NULL then means "not registered" (an empty registeredIdentity with
 * registered="false").
 * @return 0 or -ENOMEM
 */
int ctl_xml_row(FILE *f, const struct rt_session *s, const struct ctl_identity *id, bool joined);
void ctl_xml_end(FILE *f, unsigned long long rows);

/** Write n raw bytes as escaped XML character data (see above). */
void ctl_xml_text(FILE *f, const void *s, size_t n);

#endif /* CTL_XMLOUT_H */

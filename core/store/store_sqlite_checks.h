/* Migration 17's CHECK constraints without IN lists (store_sqlite_checks.c
 * says why and how): SQL that edits the stored CREATE TABLE text, run by
 * tsunagu_sqlite_edit_schema_text(). Each table's constraint text goes from
 * the exact words its migration wrote (a released migration never changes)
 * to the same set as equalities joined by OR; replace() finding nothing
 * (applied again) changes nothing. */
#pragma once

#define TSUNAGU_SQLITE_CHECK_REWRITE(table, from, to)                                     \
	"UPDATE sqlite_schema SET sql = replace(sql, '" from "', '" to "')"                 \
	" WHERE type = 'table' AND name = '" table "';"

#define TSUNAGU_SQLITE_CHECKS_WITHOUT_IN                                                  \
	TSUNAGU_SQLITE_CHECK_REWRITE("conversations",                                      \
		"state IN    (''waiting'', ''open'', ''snoozed'', ''close_requested'', ''closed'')", \
		"(state = ''waiting'' OR state = ''open'' OR state = ''snoozed''"          \
		" OR state = ''close_requested'' OR state = ''closed'')")                  \
	TSUNAGU_SQLITE_CHECK_REWRITE("calls",                                              \
		"state IN (''queued'', ''ringing'', ''talking'', ''ended'')",              \
		"(state = ''queued'' OR state = ''ringing'' OR state = ''talking''"        \
		" OR state = ''ended'')")                                                  \
	TSUNAGU_SQLITE_CHECK_REWRITE("calls",                                              \
		"missed_reason IN    (''notInOperation'', ''noOperator'', ''ringTimeout'', ''userLeft'')", \
		"(missed_reason = ''notInOperation'' OR missed_reason = ''noOperator''"    \
		" OR missed_reason = ''ringTimeout'' OR missed_reason = ''userLeft'')")    \
	TSUNAGU_SQLITE_CHECK_REWRITE("offers",                                             \
		"state IN (''pending'', ''missed'', ''declined'')",                        \
		"(state = ''pending'' OR state = ''missed'' OR state = ''declined'')")     \
	TSUNAGU_SQLITE_CHECK_REWRITE("call_origins",                                       \
		"disposition IN    (''queued'', ''notInOperation'', ''noOperator'')",      \
		"(disposition = ''queued'' OR disposition = ''notInOperation''"            \
		" OR disposition = ''noOperator'')")                                       \
	TSUNAGU_SQLITE_CHECK_REWRITE("waiting_admits",                                     \
		"kind IN (''all'', ''staff'', ''team'')",                                  \
		"(kind = ''all'' OR kind = ''staff'' OR kind = ''team'')")                 \
	TSUNAGU_SQLITE_CHECK_REWRITE("staff",                                              \
		"role IN (''operator'', ''supervisor'', ''admin'')",                       \
		"(role = ''operator'' OR role = ''supervisor'' OR role = ''admin'')")      \
	TSUNAGU_SQLITE_CHECK_REWRITE("staff",                                              \
		"status IN (''available'', ''away'', ''offline'')",                        \
		"(status = ''available'' OR status = ''away'' OR status = ''offline'')")   \
	TSUNAGU_SQLITE_CHECK_REWRITE("staff",                                              \
		"inquiry_types IN (''chat'', ''phone'', ''both'')",                        \
		"(inquiry_types = ''chat'' OR inquiry_types = ''phone''"                   \
		" OR inquiry_types = ''both'')")

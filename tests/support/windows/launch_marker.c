/* Linked into every test program of the Windows build: before main, the program creates the file
 * that ENLIST_LAUNCH_MARKER names (if set). wine_launch.sh, which runs each test under Wine, reads
 * it to tell a program that never started (Wine failed to launch it: retried) from one that ran
 * and failed (never retried). */

#include <stdio.h>
#include <stdlib.h>

__attribute__((constructor)) static void enlist_mark_launch(void) {
  const char* marker = getenv("ENLIST_LAUNCH_MARKER");
  if (marker == NULL || marker[0] == '\0') return;
  FILE* f = fopen(marker, "w");
  if (f != NULL) fclose(f);
}

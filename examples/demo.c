/* The main demo (make demo). Grows with the library. */
#include <stdio.h>
#include "ember_persist.h"

int main(void) {
    printf("ember_persist.h %s\n", ep_version());
    return 0;
}

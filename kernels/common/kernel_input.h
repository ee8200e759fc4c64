/* The kernels' input: the firmware's input block when one was loaded,
 * otherwise the kernel's linked-in default vector. */
#ifndef KERNEL_INPUT_H
#define KERNEL_INPUT_H

#include <stdint.h>

#include "chainrv.h"

static inline const uint8_t *kernel_input(uint32_t *len, const uint8_t *dflt, uint32_t dflt_len)
{
    const uint8_t *p = crv_input(len);
    if (p == 0) {
        p = dflt;
        *len = dflt_len;
    }
    return p;
}

#endif

// Header-only module (see include/CKernelSupport.h); SwiftPM needs one C source file.
#include "CKernelSupport.h"

/* Loads the provider plugin (plugin.cpp) and runs it: exit status 0 when it worked. */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char** argv) {
  if (argc != 2) return 10;
  void* plugin = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (plugin == NULL) {
    fprintf(stderr, "dlopen: %s\n", dlerror());
    return 11;
  }
  int (*run)(void) = (int (*)(void))dlsym(plugin, "enlist_plugin_run");
  if (run == NULL) return 12;
  const int result = run();
  dlclose(plugin);
  return result;
}

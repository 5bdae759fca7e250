/* A benchmark, never a test: what one socket transfer costs through
 * urb_submit_nowait (the call the Haskell binding's socket face makes for
 * every recv/send) against the plain system call, on an AF_UNIX socket pair:
 * a receive with nothing to receive (EAGAIN) and a send + receive of 16 bytes.
 *   cc -O2 bench/haskell/nowait_cost.c -Iinclude -Ltarget/release -luringbridge \
 *      -Wl,-rpath,$PWD/target/release -o /tmp/nowait_cost && /tmp/nowait_cost
 * (URB_BACKEND=fallback for the fallback engine). Three rounds of 200,000. */
#include <uringbridge.h>
#include <sys/socket.h>
#include <stdio.h>
#include <time.h>
#include <string.h>
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e9+t.tv_nsec;}
int main(void){
  int sv[2]; socketpair(AF_UNIX,SOCK_STREAM,0,sv);
  char buf[64]; int N=200000; urb_op op; int32_t res;
  for (int round=0; round<3; round++) {
  double t0=now(); for(int i=0;i<N;i++) recv(sv[1],buf,64,MSG_DONTWAIT); double t1=now();
  urb_prep_recv(sv[1],buf,64,0,&op);
  double t2=now(); for(int i=0;i<N;i++) urb_submit_nowait(&op,&res); double t3=now();
  /* with data: send 16 then receive 16 */
  double t4=now(); for(int i=0;i<N;i++){ send(sv[0],buf,16,0); recv(sv[1],buf,64,MSG_DONTWAIT);} double t5=now();
  double t6=now(); for(int i=0;i<N;i++){ send(sv[0],buf,16,0); urb_submit_nowait(&op,&res);} double t7=now();
  printf("EAGAIN: recv %.0f ns, urb_submit_nowait %.0f ns; with data (send+recv): plain %.0f ns, send+nowait %.0f ns (%s)\n",(t1-t0)/N,(t3-t2)/N,(t5-t4)/N,(t7-t6)/N, urb_backend_name());
  }
  return 0;}

"""A Modbus slave for Switchyard's tests, served by pymodbus (Debian's python3-pymodbus).

Usage: /usr/bin/python3 pymodbus_server.py '<json>'
  {"port": 5020, "framer": "socket" | "rtu",
   "slaves": {"1": {"hr": {"0": 17, "1": 42}, "ir": {...}, "co": {"0": 1}, "di": {...}}},
   "sequential_hr": 0}      # > 0: slave 1's holding registers 0..N-1 as one block (for load tests)
Addresses not listed do not exist: reading them answers exception 2 (illegal data address).
Prints "READY <port>" once listening.
"""
import asyncio
import json
import sys

from pymodbus.datastore import (ModbusServerContext, ModbusSequentialDataBlock,
                                ModbusSlaveContext, ModbusSparseDataBlock)
from pymodbus.framer.rtu_framer import ModbusRtuFramer
from pymodbus.framer.socket_framer import ModbusSocketFramer
from pymodbus.server.async_io import ModbusTcpServer


def block(spec):
    values = {int(k): int(v) for k, v in (spec or {}).items()}
    if not values:
        values = {60000: 0}
    return ModbusSparseDataBlock(values)


async def main():
    cfg = json.loads(sys.argv[1])
    slaves = {}
    for unit, s in cfg.get("slaves", {}).items():
        kwargs = {k: block(s.get(k)) for k in ("hr", "ir", "co", "di")}
        if int(unit) == 1 and cfg.get("sequential_hr"):
            kwargs["hr"] = ModbusSequentialDataBlock(0, [i % 65536 for i in range(cfg["sequential_hr"])])
        slaves[int(unit)] = ModbusSlaveContext(zero_mode=True, **kwargs)
    context = ModbusServerContext(slaves=slaves, single=False)
    framer = ModbusRtuFramer if cfg.get("framer") == "rtu" else ModbusSocketFramer
    server = ModbusTcpServer(context, framer, None, ("127.0.0.1", cfg["port"]), allow_reuse_address=True)
    task = asyncio.create_task(server.serve_forever())
    await asyncio.wait_for(server.serving, 10)
    print("READY", cfg["port"], flush=True)
    await task


asyncio.run(main())

import { NotFoundException } from '@nestjs/common';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A malformed id names no comment: 404, like an unknown one (as the public routes answer). */
export function commentId(id: string): string {
  if (!UUID.test(id)) {
    throw new NotFoundException('comment not found');
  }
  return id.toLowerCase();
}

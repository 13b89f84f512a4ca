import { Inject, Injectable } from '@nestjs/common';
import { decodeCursor, PG_POOL, toPage, type Page } from '@ionet/platform';
import type { Pool } from 'pg';

export interface ClusterListItem {
  clusterId: string;
  status: string;
  createdAt: string;
}

export interface LogLine {
  deviceId: string;
  jobId: string;
  sequence: number;
  stream: string;
  text: string;
  reportedAt: string;
}

/** Lists read from the clusters projection and the job log rows, keyset-paged. */
@Injectable()
export class ClusterQueries {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async list(customerId: string, status: string | undefined, limit: number, cursor: string | undefined): Promise<Page<ClusterListItem>> {
    const after = cursor ? decodeCursor(cursor, { createdAt: 'timestamp', clusterId: 'string' }) : undefined;
    const rows = await this.pool.query<{ lease_id: string; status: string; created_at: Date }>(
      `select lease_id, status, created_at from clusters
        where customer_id = $1 and ($2::text is null or status = $2)
          and ($3::timestamptz is null or (created_at, lease_id) < ($3, $4))
        order by created_at desc, lease_id desc limit $5`,
      [customerId, status ?? null, after?.createdAt ?? null, after?.clusterId ?? null, limit + 1],
    );
    const items = rows.rows.map((r) => ({ clusterId: r.lease_id, status: r.status, createdAt: r.created_at.toISOString() }));
    return toPage(items, limit, (i) => ({ createdAt: i.createdAt, clusterId: i.clusterId }));
  }

  async logs(leaseId: string, deviceId: string | undefined, limit: number, cursor: string | undefined): Promise<Page<LogLine>> {
    const after = cursor ? decodeCursor(cursor, { reportedAt: 'timestamp', jobId: 'string', sequence: 'integer' }) : undefined;
    const rows = await this.pool.query<{ device_id: string; job_id: string; sequence: string; stream: string; text: string; reported_at: Date }>(
      `select device_id, job_id, sequence, stream, text, reported_at from job_logs
        where lease_id = $1 and ($2::text is null or device_id = $2)
          and ($3::timestamptz is null or (reported_at, job_id, sequence) > ($3, $4, $5))
        order by reported_at, job_id, sequence limit $6`,
      [leaseId, deviceId ?? null, after?.reportedAt ?? null, after?.jobId ?? null, after?.sequence ?? null, limit + 1],
    );
    const items = rows.rows.map((r) => ({ deviceId: r.device_id, jobId: r.job_id, sequence: Number(r.sequence), stream: r.stream, text: r.text, reportedAt: r.reported_at.toISOString() }));
    return toPage(items, limit, (i) => ({ reportedAt: i.reportedAt, jobId: i.jobId, sequence: i.sequence }));
  }
}
